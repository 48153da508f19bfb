import type { DeflateEngine, DeflaterOptions, InflaterOptions, RawDeflater, RawInflater } from './engine.js'

/**
 * EngineSource is where a {@link MessageDeflater} or {@link MessageInflater} gets its raw
 * engine when a message needs one, instead of holding one from the handshake on. With `give`,
 * the engine is lent for one message: the message layer takes it at the message's first byte
 * and gives it back, reset, at its end (no context takeover in that direction, RFC 7692
 * §7.1.1: nothing is kept between messages), so a connection holds none between messages.
 * Without `give`, the first engine taken is the message layer's for good (context takeover),
 * made on first use rather than at the handshake.
 */
export interface EngineSource<T extends RawDeflater | RawInflater> {
  /** take returns an engine in its initial state (new, or reset after a message). */
  take(): T
  /** give takes back an engine lent for one message, reset already; absent when engines are kept. */
  give?(raw: T): void
}

/** lazySource makes the engine with `create` on first use; the message layer keeps it (context takeover). */
export function lazySource<T extends RawDeflater | RawInflater>(create: () => T): EngineSource<T> {
  return { take: create }
}

/** The most free engines a pool keeps by default; more are closed when given back. */
export const defaultPoolKeep = 4

/**
 * EnginePool lends engines of one configuration (engine, direction, window, level), one
 * message at a time, to every connection of the process that keeps no context in that
 * direction. The engines are synchronous, so a whole message compressed or inflated in one
 * call uses one engine for the whole process; messages in progress at once (in fragments,
 * across socket reads) each hold their own until their end. The pool owns its free engines
 * and keeps at most `keep` of them, closing those given back beyond that.
 */
export class EnginePool<T extends RawDeflater | RawInflater> implements EngineSource<T> {
  /** The most free engines this pool keeps. */
  keep: number
  private readonly create: () => T
  private readonly free: T[] = []

  /** new EnginePool(create, keep) lends engines made by `create`. */
  constructor(create: () => T, keep = defaultPoolKeep) {
    this.create = create
    this.keep = keep
  }

  /** take lends a free engine, or a new one when none is free. */
  take(): T {
    return this.free.pop() ?? this.create()
  }

  /** give takes an engine back after its message (reset already): kept if there is room, else closed. */
  give(raw: T): void {
    if (this.free.length < this.keep) this.free.push(raw)
    else raw.close?.()
  }

  /** idle is how many free engines the pool holds. */
  get idle(): number {
    return this.free.length
  }

  /** trim closes free engines until at most `keep` are left (0: all): memory back after a burst. */
  trim(keep = 0): void {
    while (this.free.length > keep) this.free.pop()!.close?.()
  }
}

const deflaterPools = new WeakMap<DeflateEngine, Map<string, EnginePool<RawDeflater>>>()
const inflaterPools = new WeakMap<DeflateEngine, Map<string, EnginePool<RawInflater>>>()

/** poolIn finds or makes the pool for `key` in the engine's map. */
function poolIn<T extends RawDeflater | RawInflater>(pools: WeakMap<DeflateEngine, Map<string, EnginePool<T>>>, engine: DeflateEngine, key: string, create: () => T): EnginePool<T> {
  let byKey = pools.get(engine)
  if (byKey === undefined) {
    byKey = new Map()
    pools.set(engine, byKey)
  }
  let pool = byKey.get(key)
  if (pool === undefined) {
    pool = new EnginePool(create)
    byKey.set(key, pool)
  }
  return pool
}

/**
 * sharedDeflaters is the process's pool of `engine`'s compressors for `options` without
 * context takeover (`keepContext` is taken as false): one per engine, window, level and
 * memory level.
 */
export function sharedDeflaters(engine: DeflateEngine, options: Omit<DeflaterOptions, 'keepContext'>): EnginePool<RawDeflater> {
  const settings: DeflaterOptions = { windowBits: options.windowBits, keepContext: false, level: options.level, memLevel: options.memLevel }
  return poolIn(deflaterPools, engine, `${settings.windowBits}/${settings.level ?? ''}/${settings.memLevel ?? ''}`, () => engine.createDeflater(settings))
}

/**
 * sharedInflaters is the process's pool of `engine`'s decompressors for a peer window without
 * context takeover (`keepContext` is taken as false): one per engine and window.
 */
export function sharedInflaters(engine: DeflateEngine, options: Omit<InflaterOptions, 'keepContext'>): EnginePool<RawInflater> {
  const settings: InflaterOptions = { windowBits: options.windowBits, keepContext: false }
  return poolIn(inflaterPools, engine, `${settings.windowBits}`, () => engine.createInflater(settings))
}
