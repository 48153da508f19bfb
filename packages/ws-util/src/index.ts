/**
 * @ws-toolkit/ws-util: Node.js socket and stream helpers built on @ws-toolkit/ws-core.
 *
 * @module @ws-toolkit/ws-util
 */
export * from './errors.js'
export { defaultHandshakeTimeoutMs, destroyOnError, endRefused, type HandshakeOptions, readHead, refusedLingerMs } from './read-head.js'
export {
  type Accepted, type AcceptedRequest, type AcceptOptions, acceptHttpUpgrade, acceptSocket, admitHttpUpgrade, type HttpAdmissionOptions, type RequestOptions,
} from './accept.js'
export { acceptHttp2Stream } from './accept-http2.js'
export { clientAddress, TrustedProxies } from './client-address.js'
export { type Admission, type Admit, type AdmissionOptions, defaultMaxEarlyBytes } from './admission.js'
export * from './dial.js'
export { type DialTarget, dialTarget } from './dial-target.js'
export { connectHttp2, dialHttp2, type Http2DialOptions, type Http2SessionOptions } from './dial-http2.js'
export { connectThroughProxy, type ProxyOptions, proxyForUrl } from './proxy.js'
export * from './decoder.js'
export * from './writer.js'
export * from './reader.js'
export { answerControl, closeReplyCode, type ControlTarget, handleControlMessage, PongGate } from './control.js'
export { writeClientMessage, writeServerMessage } from './write-message.js'
export type { MessageCompressor, MessageDecompressor } from './compression.js'
export * from './batch-writer.js'
export * from './data-reader.js'
export * from './broadcast.js'
export * from './closing.js'
export * from './heartbeat.js'
export { simdCipher, simdThreshold } from './simd-cipher.js'
export * from './connection-set.js'
export * from './shutdown.js'
