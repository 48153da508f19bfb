import type { RawDeflater } from './engine.js'
import type { EnginePool } from './engine-source.js'

/**
 * lentMessages is how many messages an {@link OffThreadDeflater} compresses on lent engines
 * at most: if its own engine is not ready by then (a threadpool busy with other work), it
 * makes one on the main thread, so a burst loses the context of at most this many.
 */
export const lentMessages = 8

/**
 * OffThreadDeflater is a compressor with context takeover (RFC 7692 §7.1.1) whose engine is
 * made off the main thread (`DeflateEngine.createDeflaterOffThread`), so that its memory goes
 * back to the system when the connection closes. Until that engine is ready, each message is
 * compressed by an engine lent from the process's pool of compressors without context
 * (`lend`), reset and given back at its end; once ready, the engine is used from the next
 * message on and keeps its context. Switching is valid at any message boundary: an engine
 * that starts afresh refers to nothing sent before (a compressor may always choose not to
 * refer back), so the peer's decompressor, which keeps its window, reads every message as
 * ever. The messages sent before the engine is ready compress without the context of earlier
 * ones: the first message has none to use anyway, but a burst sent in the same turn of the
 * event loop loses it, up to {@link lentMessages} messages, after which (or if making it
 * fails) `create` makes the engine on the main thread (its error, if any, thrown there; one
 * made off the thread later is closed). The pool owns the engines it lends; this compressor
 * owns its own engine and closes it with `close()`. A lent engine that throws is closed, never
 * given back.
 */
export class OffThreadDeflater implements RawDeflater {
  private readonly make: () => Promise<RawDeflater>
  private readonly create: () => RawDeflater
  private readonly lend: EnginePool<RawDeflater>
  /** The compressor's own engine, once made. */
  private own: RawDeflater | null = null
  /** The engine of the message in progress (own or lent); null between messages. */
  private current: RawDeflater | null = null
  private making = false
  private failed = false
  private closed = false
  /** Messages compressed on lent engines so far. */
  private lent = 0

  /**
   * new OffThreadDeflater(make, create, lend) starts making its engine with `make` at its
   * first message; `create` makes one on this thread if `make` fails; `lend` lends engines
   * until then.
   */
  constructor(make: () => Promise<RawDeflater>, create: () => RawDeflater, lend: EnginePool<RawDeflater>) {
    this.make = make
    this.create = create
    this.lend = lend
  }

  /** ready tells whether the compressor's own engine is made (for tests and benchmarks). */
  get ready(): boolean {
    return this.own !== null
  }

  write(data: Uint8Array, last: boolean): Uint8Array {
    if (this.closed) throw new Error('compressor used after close()')
    const raw = (this.current ??= this.engine())
    let out: Uint8Array
    try {
      out = raw.write(data, last)
    } catch (error) {
      // A lent engine that failed may hold half a message or a sticky error: closed, not given back.
      if (raw !== this.own) {
        raw.close?.()
        this.current = null
      }
      throw error
    }
    if (last) this.end()
    return out
  }

  reset(): void {
    this.own?.reset()
    // A message abandoned half-way on a lent engine: the engine goes back reset.
    if (this.current !== null && this.current !== this.own) this.end()
    this.current = null
  }

  close(): void {
    this.closed = true
    if (this.current !== null && this.current !== this.own) this.current.close?.() // it may hold half a message: never lent again
    this.current = null
    this.own?.close?.()
    this.own = null
  }

  /** engine picks the engine for a new message: its own when made, else a lent one (and the making starts). */
  private engine(): RawDeflater {
    if (this.own !== null) return this.own
    if (this.failed || this.lent >= lentMessages) {
      this.failed = true // one made off the thread from now on is not wanted
      return (this.own = this.create())
    }
    if (!this.making) this.start()
    this.lent++
    return this.lend.take()
  }

  /** end finishes a message: a lent engine is reset and given back. */
  private end(): void {
    const raw = this.current
    this.current = null
    if (raw === null || raw === this.own) return
    raw.reset()
    this.lend.give(raw)
  }

  private start(): void {
    this.making = true
    let made: Promise<RawDeflater>
    try {
      made = this.make()
    } catch {
      this.failed = true
      return
    }
    made.then(
      (raw) => {
        if (this.closed || this.own !== null) raw.close?.()
        else this.own = raw
      },
      () => {
        this.failed = true
      },
    )
  }
}
