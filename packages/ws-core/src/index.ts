/**
 * @ws-toolkit/ws-core: pure, portable RFC 6455 functions over `Uint8Array`: frame headers,
 * masking, frames, close bodies, protocol checks, UTF-8 validation and the opening handshake.
 * Nothing is copied unless the function's name or doc comment says so.
 *
 * @module @ws-toolkit/ws-core
 */
export * from './errors.js'
export * from './opcode.js'
export * from './close-code.js'
export * from './header.js'
export * from './cipher.js'
export * from './mask.js'
export * from './utf8.js'
export * from './close-body.js'
export * from './check.js'
export * from './frame.js'
export { acceptKey, WebSocketGuid } from './accept.js'
export { type Extension, formatExtension, parseExtensions } from './extension.js'
export { defaultHeadLimits, type HeadLimits } from './http-head.js'
export * from './upgrader.js'
export * from './client-handshake.js'
export * from './origin.js'
export * from './request-target.js'
