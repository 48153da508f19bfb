/**
 * @ws-toolkit/ws-util: Node.js socket and stream helpers built on @ws-toolkit/ws-core.
 *
 * The socket-level handshakes (RFC 6455 §4), the push decoder, reader, writer and the
 * helpers arrive with the issues that build them; until then this package is only the
 * workspace slot they will fill, and it exports nothing.
 */
export {}
