// connectTls: SNI and the certificate's identity for a host dialled by name, IPv4 or IPv6
// address (RFC 6066 §3, RFC 9110 §4.3.4, RFC 6125 §6.2.1). The IPv6 cases fail on Node.js
// 22.23 and 24.17+ with Node's own tls.checkServerIdentity (nodejs/node#64032): they are here
// so that dial keeps working there.
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { createServer, type PeerCertificate, type Server, type TLSSocket } from 'node:tls'
import t, { type Test } from 'tap'
import { WebSocketServer } from 'ws'
import { dial } from '../src/index.js'
import { checkIpv6Identity, connectTls } from '../src/tls-connect.js'
import { certificate } from './helpers.js'

/** A TLS server on `host` with `pair` that ends each connection once TLS is up. */
async function tlsServer(t: Test, host: string, pair: { cert: Buffer; key: Buffer }) {
  const server = createServer(pair, (socket) => socket.end())
  server.on('tlsClientError', () => {})
  server.listen(0, host)
  await once(server, 'listening')
  t.teardown(() => server.close())
  return server
}

/**
 * outcome connects to `server` with connectTls and resolves with the SNI the server saw (false
 * for none) once TLS is up on both sides, or with the client's error.
 */
async function outcome(server: Server, host: string, options: Parameters<typeof connectTls>[2]): Promise<string | false | NodeJS.ErrnoException> {
  const accepted = once(server, 'secureConnection')
  accepted.catch(() => {})
  const socket = connectTls(host, (server.address() as AddressInfo).port, options)
  try {
    await once(socket, 'secureConnect')
    const [peer] = (await accepted) as [TLSSocket & { servername: string | false }]
    return peer.servername
  } catch (error) {
    return error as NodeJS.ErrnoException
  } finally {
    socket.destroy()
  }
}

t.test('an IPv6 address the certificate names (in any notation) checks out; no SNI for it', async (t) => {
  const pair = certificate(t, 'DNS:localhost,IP:0:0:0:0:0:0:0:1')
  const server = await tlsServer(t, '::1', pair)
  t.equal(await outcome(server, '::1', { ca: pair.cert }), false, 'connected, and SNI carries no IP address (RFC 6066 §3)')
  t.equal(await outcome(server, '::1', { ca: pair.cert, servername: 'localhost' }), 'localhost', 'a caller\'s servername is sent, and checked (Node checks it)')
})

t.test('an IPv6 address the certificate does not name is refused, with Node\'s error code', async (t) => {
  const pair = certificate(t, 'DNS:localhost,IP:127.0.0.1,IP:::2')
  const server = await tlsServer(t, '::1', pair)
  t.match(await outcome(server, '::1', { ca: pair.cert }), {
    code: 'ERR_TLS_CERT_ALTNAME_INVALID', host: '::1', reason: /^IP: ::1 is not in the cert's altnames: DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:2$/,
  })
  t.match(await outcome(server, '::1', { ca: pair.cert, servername: 'example.com' }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID', host: 'example.com' },
    'a caller\'s servername the certificate does not name is refused by Node\'s check')
  t.equal(await outcome(server, '::1', { ca: pair.cert, checkServerIdentity: () => undefined }), false, 'a caller\'s own check replaces it')
})

t.test('names and IPv4 addresses keep Node\'s check, and SNI for names', async (t) => {
  const pair = certificate(t, 'DNS:localhost,IP:127.0.0.1')
  const server = await tlsServer(t, '127.0.0.1', pair)
  t.equal(await outcome(server, '127.0.0.1', { ca: pair.cert }), false)
  t.equal(await outcome(server, 'localhost', { ca: pair.cert }), 'localhost')
  const other = certificate(t, 'DNS:example.com')
  const elsewhere = await tlsServer(t, '127.0.0.1', other)
  t.match(await outcome(elsewhere, '127.0.0.1', { ca: other.cert }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' })
})

t.test('checkIpv6Identity: a certificate with no subjectAltName names no address', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-util-tls-connect-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=::1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
  const raw = Buffer.from(readFileSync(join(dir, 'cert.pem'), 'latin1').replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')
  const error = checkIpv6Identity('::1', { raw } as PeerCertificate)
  t.match(error, { code: 'ERR_TLS_CERT_ALTNAME_INVALID', reason: 'IP: ::1 is not in the cert\'s altnames: none' }, 'not even by its CN (RFC 6125 §6.2.1)')
})

t.test('dial wss://[::1] against the ws server over node:https', async (t) => {
  const pair = certificate(t, 'IP:::1')
  const https = createHttpsServer(pair)
  const server = new WebSocketServer({ server: https })
  server.on('connection', (ws) => ws.close(1000))
  https.listen(0, '::1')
  await once(https, 'listening')
  t.teardown(() => https.close())
  const dialed = await dial(`wss://[::1]:${(https.address() as { port: number }).port}/`, { tls: { ca: pair.cert } })
  t.equal(dialed.socket.remoteAddress, '::1')
  dialed.socket.destroy()
})
