import { X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import { checkServerIdentity, connect, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls'

/**
 * connectTls opens TLS as a client to `host` (a DNS name, or an IP address without brackets)
 * at `port`, over `socket` when given (a proxy's tunnel), with the caller's `options` (ca, cert,
 * key, rejectUnauthorized, servername, checkServerIdentity…) over these defaults: SNI carries
 * a host name, never an IP address (RFC 6066 §3), and the certificate is checked against
 * `host` (RFC 9110 §4.3.4). For an IPv6 address the check is {@link checkIpv6Identity}, as
 * Node's own tls.checkServerIdentity fails to match IPv6 addresses from Node.js 22.23.0 and
 * 24.17.0 on (nodejs/node#64032, #64144).
 */
export function connectTls(host: string, port: number, options: ConnectionOptions | undefined, socket?: Duplex): TLSSocket {
  const ip = isIP(host)
  return connect({
    servername: ip === 0 ? host : undefined,
    ...(ip === 6 ? { checkServerIdentity: checkIpv6Identity } : {}),
    ...options,
    host,
    port,
    ...(socket === undefined ? {} : { socket }),
  })
}

/**
 * checkIpv6Identity is a `checkServerIdentity` for a server dialled by IPv6 address: the
 * certificate must carry that address as an iPAddress subjectAltName (RFC 5280 §4.2.1.6,
 * RFC 6125 §6.2.1, compared as the address's 16 bytes, whatever the notation), which OpenSSL
 * checks (`X509Certificate.checkIP`). A certificate that does not is Node's error,
 * ERR_TLS_CERT_ALTNAME_INVALID with `reason`, `host` and `cert`. Any other `host` (Node checks
 * the caller's `servername` when one is set) is left to Node's tls.checkServerIdentity.
 */
export function checkIpv6Identity(host: string, cert: PeerCertificate): Error | undefined {
  if (isIP(host) !== 6) return checkServerIdentity(host, cert)
  if (new X509Certificate(cert.raw).checkIP(host) !== undefined) return undefined
  const reason = `IP: ${host} is not in the cert's altnames: ${cert.subjectaltname ?? 'none'}`
  return Object.assign(new Error(`Hostname/IP does not match certificate's altnames: ${reason}`), {
    code: 'ERR_TLS_CERT_ALTNAME_INVALID', reason, host, cert,
  })
}
