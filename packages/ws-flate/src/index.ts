/**
 * @ws-toolkit/ws-flate: permessage-deflate (RFC 7692) built on @ws-toolkit/ws-core, with
 * fflate as the default engine. So far: negotiation. Compression arrives with the rest of the
 * issue that builds this package.
 */
export * from './parameters.js'
export * from './negotiation.js'
