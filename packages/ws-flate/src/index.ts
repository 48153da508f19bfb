/**
 * @ws-toolkit/ws-flate: permessage-deflate (RFC 7692) built on @ws-toolkit/ws-core:
 * negotiation, stateless frame compression, per-connection compressors with and without
 * context takeover, bounded inflation. Per connection, the default engine is node:zlib's on
 * Node.js and fflate's elsewhere ({@link defaultEngine}); the stateless functions use fflate.
 * The node:zlib engine is also `@ws-toolkit/ws-flate/zlib` (Node.js only).
 *
 * @module @ws-toolkit/ws-flate
 */
export * from './parameters.js'
export * from './negotiation.js'
export { type DeflateEngine, type DeflaterOptions, EngineUnavailableError, type InflaterOptions, type RawDeflater, type RawInflater, type Sink, syncTail } from './engine.js'
export { fflateEngine } from './fflate-engine.js'
export { defaultEngine } from './default-engine.js'
export { defaultPoolKeep, EnginePool, type EngineSource, lazySource, sharedDeflaters, sharedInflaters } from './engine-source.js'
export * from './message-deflater.js'
export * from './message-inflater.js'
export * from './per-message-deflate.js'
export { IdleSweep, idleSweep, type Releasable } from './idle-sweep.js'
export { lentMessages, OffThreadDeflater } from './off-thread-deflater.js'
export * from './frames.js'
