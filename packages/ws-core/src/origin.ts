/**
 * OriginCheck decides whether a handshake's Origin (RFC 6455 §4.2.1 item 8, §10.2; RFC 6454)
 * may connect. `origin` is the Origin header's value, or null when the request has none (a
 * client that is not a browser: it could send any Origin, so the header guards browsers only);
 * `host` is the Host header's value. Both are copies.
 */
export type OriginCheck = (origin: string | null, host: string) => boolean

/**
 * normalizeOrigin returns an http(s) origin in its canonical form (RFC 6454 §6.1): lower case,
 * no default port, no trailing slash; or null when `origin` is not one (such as "null").
 */
export function normalizeOrigin(origin: string): string | null {
  const match = /^(https?):\/\/([^/:?#\s[\]]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?\/?$/i.exec(origin)
  if (match === null) return null
  const scheme = match[1].toLowerCase()
  const port = match[3] === undefined ? '' : String(Number(match[3]))
  const defaultPort = scheme === 'https' ? '443' : '80'
  return `${scheme}://${match[2].toLowerCase()}${port === '' || port === defaultPort ? '' : `:${port}`}`
}

/**
 * sameOrigin returns a check that allows a request whose Origin is this server's own origin,
 * and requests with no Origin. An origin is scheme, host and port (RFC 6454 §4): the host and
 * port come from the Host header, the scheme from `secure`, which says whether this server
 * speaks TLS (wss:// pages are https://, ws:// pages are http://). So a page on another site,
 * or the plain-http version of this one, cannot open a WebSocket that carries the user's
 * cookies to a wss:// server (RFC 6455 §10.2).
 */
export function sameOrigin(secure: boolean): OriginCheck {
  const scheme = secure ? 'https' : 'http'
  return (origin, host) => origin === null || (normalizeOrigin(origin) ?? '') === normalizeOrigin(`${scheme}://${host}`)
}

/**
 * allowOrigins returns a check that allows exactly the listed origins (compared in canonical
 * form: "https://Example.com:443" is "https://example.com") and requests with no Origin.
 * Throws a TypeError for an entry that is not an http(s) origin.
 */
export function allowOrigins(origins: readonly string[]): OriginCheck {
  const allowed = new Set(origins.map((origin) => {
    const normalized = normalizeOrigin(origin)
    if (normalized === null) throw new TypeError(`not an http(s) origin: ${JSON.stringify(origin)}`)
    return normalized
  }))
  return (origin) => origin === null || allowed.has(normalizeOrigin(origin) ?? '')
}
