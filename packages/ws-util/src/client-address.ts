import { BlockList, isIP } from 'node:net'
import type { AcceptedRequest, RequestOptions } from './accept.js'

/**
 * TrustedProxies is the list of proxies whose word about the client is believed: IP addresses
 * and CIDR ranges (RFC 4632 §3.1, RFC 4291 §2.3), IPv4 and IPv6, checked once when made and
 * kept in a `node:net` BlockList, to be shared by every connection. An IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`, RFC 4291 §2.5.5.2) is its IPv4 address, both in the list and in what
 * {@link TrustedProxies.has} is asked: trusting `127.0.0.1` trusts a socket that reports
 * `::ffff:127.0.0.1` (a server listening on `::`), and the other way round. An empty list trusts
 * nobody: {@link clientAddress} is then always the socket's peer.
 */
export class TrustedProxies {
  /** entries is the list as given, each entry checked (RFC 4632 §3.1): for messages and logs. */
  readonly entries: readonly string[]
  /** The ranges, in the runtime's BlockList (which matches IPv4-mapped IPv6 against IPv4 and back). */
  private readonly ranges = new BlockList()

  /**
   * new TrustedProxies(entries) checks each entry, `ADDRESS` or `ADDRESS/PREFIX` (e.g.
   * `127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`, `::ffff:10.0.0.0/104`; RFC 4632 §3.1), and
   * throws a TypeError naming the first that is not one: a host name, a prefix beyond 32 (IPv4)
   * or 128 (IPv6) or not in decimal, an IPv6 zone (`%eth0`), surrounding spaces. Host bits below
   * the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
   */
  constructor(entries: Iterable<string>) {
    const list: string[] = []
    for (const entry of entries) {
      const slash = entry.indexOf('/')
      const address = slash === -1 ? entry : entry.slice(0, slash)
      const family = address.includes('%') ? 0 : isIP(address)
      const prefixText = slash === -1 ? null : entry.slice(slash + 1)
      const max = family === 4 ? 32 : 128
      const prefix = prefixText === null ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1
      if (family === 0 || prefix < 0 || prefix > max) {
        throw new TypeError(`trusted proxies: ${JSON.stringify(entry)} is not an IP address or a CIDR range (ADDRESS or ADDRESS/PREFIX)`)
      }
      this.ranges.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6')
      list.push(entry)
    }
    this.entries = list
  }

  /**
   * has tells whether `address` (as a socket or an X-Forwarded-For entry writes it, without a
   * port) is in a trusted range; false for anything that is not an IP address. An IPv6 zone
   * (`fe80::1%eth0`) is ignored (RFC 6874 §1).
   */
  has(address: string): boolean {
    const zone = address.indexOf('%')
    const bare = zone === -1 ? address : address.slice(0, zone)
    const family = isIP(bare)
    return family !== 0 && this.ranges.check(bare, family === 4 ? 'ipv4' : 'ipv6')
  }
}

/**
 * clientAddress returns the address of the client as a chain of trusted proxies reports it
 * (RFC 7239 §8.1: what a proxy says about the client can be believed only if that proxy is
 * trusted, and only for the hop it saw itself):
 *
 * - when the socket's peer (`request.remoteAddress`) is not in `trusted`, the peer is the
 *   client, and `X-Forwarded-For` is ignored: anyone can send one;
 * - when it is, `X-Forwarded-For` (each proxy appends the address it received the request
 *   from) is read from the right, each trusted entry skipped, and the first untrusted one is
 *   the client; when every entry is trusted, the leftmost is. This is what nginx's realip module
 *   does with `real_ip_recursive on`, and Express's `trust proxy` (proxy-addr).
 *
 * The header must have been kept: accept with `keepHeaders: ['x-forwarded-for']`
 * ({@link RequestOptions}). A header not kept reads as one not sent, which is legitimate (a
 * trusted proxy's own health check sends none): the answer is then the proxy itself, never an
 * error. A null `request` (the request was not kept at all) throws a TypeError.
 *
 * Entries are split at commas; spaces and tabs around them and empty elements are ignored
 * (RFC 9110 §5.6.1). An entry is an IPv4 or IPv6 address, optionally with a port
 * (`203.0.113.7:4711`, `[2001:db8::1]:4711`) or in brackets (`[2001:db8::1]`), which is removed;
 * the address is returned as written. A malformed entry (`unknown`, a host name, garbage) ends
 * the walk, and the answer is the last good hop, the trusted address to its right: what nginx
 * does. (proxy-addr returns the malformed entry itself, which is not an address; nothing here
 * ever returns what is not one, so a string from this function is safe to log or to key on.)
 * The walk is linear in the header's length and allocates only the entries it reads.
 *
 * RFC 7239's `Forwarded` header (`for=`) is not read: a server must read the one header its
 * proxies write, since a proxy that writes one passes the other through as the client sent
 * it (nginx appends to `X-Forwarded-For` and forwards a client's `Forwarded` untouched), and
 * reading both would let the client choose. It returns null only when the socket reported no
 * address (a Duplex that is not a socket, or one already closed).
 */
export function clientAddress(request: Pick<AcceptedRequest, 'remoteAddress' | 'headers'> | null, trusted: TrustedProxies): string | null {
  if (request === null) throw new TypeError('clientAddress: the request was not kept: accept with keepHeaders: [\'x-forwarded-for\']')
  let hop = request.remoteAddress
  if (hop === null || !trusted.has(hop)) return hop
  const forwarded = request.headers['x-forwarded-for']
  if (forwarded === undefined) return hop
  for (let end = forwarded.length; end > 0;) {
    const comma = forwarded.lastIndexOf(',', end - 1)
    const entry = forwarded.slice(comma + 1, end).replace(/^[ \t]+|[ \t]+$/g, '')
    end = comma
    if (entry === '') continue
    const address = forwardedAddress(entry)
    if (address === null) return hop
    hop = address
    if (!trusted.has(hop)) return hop
  }
  return hop
}

/**
 * forwardedAddress returns the address of one X-Forwarded-For entry, its port or brackets
 * removed: `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`, `[2001:db8::1]`,
 * `[2001:db8::1]:4711`; null for anything else.
 */
function forwardedAddress(entry: string): string | null {
  if (isIP(entry) !== 0) return entry
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']')
    const address = entry.slice(1, close)
    const rest = entry.slice(close + 1)
    return close !== -1 && isIP(address) === 6 && (rest === '' || /^:\d{1,5}$/.test(rest)) ? address : null
  }
  const colon = entry.indexOf(':')
  return colon !== -1 && isIP(entry.slice(0, colon)) === 4 && /^:\d{1,5}$/.test(entry.slice(colon)) ? entry.slice(0, colon) : null
}
