/**
 * Releasable is what an {@link IdleSweep} watches: one connection's compression (a
 * {@link PerMessageDeflate}), able to free its engines between messages.
 */
export interface Releasable {
  /** activity changes whenever the connection compresses or inflates anything. */
  readonly activity: number
  /** release frees what it can; false when it could not (a message in progress): tried again at the next sweep. */
  release(): boolean
}

/** One watched connection: held weakly, so that a connection dropped without `close()` is not kept alive. */
interface Entry {
  readonly ref: WeakRef<Releasable>
  /** The activity seen at the last sweep; NaN before the first. */
  seen: number
  /** Released at that activity: nothing more to free until it changes. */
  released: boolean
}

/**
 * IdleSweep releases the engines of connections that have been idle a while: every `after`
 * milliseconds it looks at each connection it watches, and one whose activity has not changed
 * since the last look (idle for at least `after`, at most twice that) is released. One timer
 * for every connection with the same `after` (see {@link idleSweep}), running only while it
 * watches any, and unreferenced where the runtime allows (it never keeps a process alive on
 * Node.js or Bun). A watched connection costs one small entry; it is held weakly.
 */
export class IdleSweep {
  /** How long, in milliseconds, a connection stays idle before its engines are released (up to twice that). */
  readonly after: number
  /** Every watched connection's entry, to sweep. */
  private readonly refs = new Set<Entry>()
  /** Entries by connection, weakly: a dropped connection's entry is found dead by the next sweep. */
  private readonly byItem = new WeakMap<Releasable, Entry>()
  private timer: ReturnType<typeof setInterval> | null = null

  /** new IdleSweep(after) sweeps every `after` milliseconds (a positive, finite number, else RangeError). */
  constructor(after: number) {
    if (!(after > 0 && after < 2 ** 31)) throw new RangeError(`invalid idle time ${after} ms: a number of milliseconds from 1 to 2^31 - 1`)
    this.after = after
  }

  /** watch starts watching `item` (again, after `unwatch`; twice is once). */
  watch(item: Releasable): void {
    if (this.has(item)) return
    const entry: Entry = { ref: new WeakRef(item), seen: Number.NaN, released: false }
    this.refs.add(entry)
    this.byItem.set(item, entry)
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.after)
      ;(this.timer as { unref?: () => void }).unref?.()
    }
  }

  /** unwatch stops watching `item` (at its `close()`). */
  unwatch(item: Releasable): void {
    const entry = this.byItem.get(item)
    if (entry === undefined) return
    this.byItem.delete(item)
    this.refs.delete(entry)
    if (this.refs.size === 0) this.stop()
  }

  /** has tells whether `item` is watched. */
  has(item: Releasable): boolean {
    return this.byItem.has(item)
  }

  /** size is how many connections are watched. */
  get size(): number {
    return this.refs.size
  }

  /**
   * sweep looks at every watched connection once, as the timer does: those idle since the
   * last sweep are released, once (they stay watched: they may be used again, and are
   * released again after that); those gone are dropped.
   */
  sweep(): void {
    for (const entry of this.refs) {
      const item = entry.ref.deref()
      if (item === undefined) {
        this.refs.delete(entry)
        continue
      }
      const activity = item.activity
      if (activity !== entry.seen) {
        entry.seen = activity
        entry.released = false
      } else if (!entry.released) {
        try {
          entry.released = item.release()
        } catch {
          // A connection whose engine fails to close is its own problem: the sweep goes on.
          entry.released = true
        }
      }
    }
    if (this.refs.size === 0) this.stop()
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }
}

const sweeps = new Map<number, IdleSweep>()

/**
 * idleSweep is the process's sweep for `after` milliseconds, shared by every connection
 * released after that long. Each distinct value has one for the process's life: use a few.
 */
export function idleSweep(after: number): IdleSweep {
  let sweep = sweeps.get(after)
  if (sweep === undefined) {
    sweep = new IdleSweep(after)
    sweeps.set(after, sweep)
  }
  return sweep
}
