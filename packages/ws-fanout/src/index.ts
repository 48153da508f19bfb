/**
 * @ws-toolkit/ws-fanout: fan-out of WebSocket messages across server nodes over an existing
 * broker. Topics with local subscribers; each published message goes to the broker once,
 * reaches each node once, has its frame built once per node (RFC 6455 §5.2; compressed once
 * for subscribers without server context takeover, RFC 7692 §7.1.1.1) and written to every
 * local subscriber. Transports: `@ws-toolkit/ws-fanout/redis` (Redis pub/sub and sharded
 * pub/sub) and `@ws-toolkit/ws-fanout/nats`, or your own {@link FanoutTransport}.
 *
 * @module @ws-toolkit/ws-fanout
 */
export { Fanout } from './fanout.js'
export { type FanoutOptions, maxCoalescedBytes, maxCoalescedMessages } from './fanout-options.js'
export type { FanoutStats } from './fanout-stats.js'
export type { FanoutTransport } from './transport.js'
export type { SlowPolicy, Subscriber } from './subscriber.js'
export { type CompressionOptions, MessageFrames, SharedDeflaters } from './message-frames.js'
export { decodeEnvelope, encodeEnvelope, encodeOrigin, type Envelope, envelopeVersion } from './envelope.js'
export { SequenceTracker, type SequenceVerdict } from './sequence-tracker.js'
