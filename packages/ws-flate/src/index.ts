/**
 * @ws-toolkit/ws-flate: permessage-deflate (RFC 7692) built on @ws-toolkit/ws-core, with
 * fflate as the default engine.
 *
 * Negotiation, frame and message compression and the engines arrive with the issue that
 * builds them; until then this package is only the workspace slot they will fill, and it
 * exports nothing.
 */
export {}
