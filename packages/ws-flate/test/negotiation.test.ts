import { once } from 'node:events'
import { createServer } from 'node:net'
import t from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { formatExtension, HandshakeError, Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, dial } from '@ws-toolkit/ws-util'
import { acceptOffer, acceptResponse, agreementOf, deflateNegotiator, deflateOffer } from '../src/index.js'
import { elements } from './helpers.js'

const answer = (offer: string, options = {}) => {
  const accepted = acceptOffer(elements(offer)[0], options)
  return accepted === null ? null : formatExtension(accepted.response)
}

t.test('a server answers offers (RFC 7692 §7.1)', async (t) => {
  const fflate = {} // minWindowBits 15: the compressor cannot be limited
  const zlib = { minWindowBits: 9 }
  const cases: [string, object, string | null][] = [
    ['permessage-deflate', fflate, 'permessage-deflate'],
    ['permessage-deflate; client_max_window_bits', fflate, 'permessage-deflate'],
    ['permessage-deflate; client_max_window_bits=10', fflate, 'permessage-deflate; client_max_window_bits=10'],
    ['permessage-deflate; server_no_context_takeover', fflate, 'permessage-deflate; server_no_context_takeover'],
    ['permessage-deflate; client_no_context_takeover', fflate, 'permessage-deflate; client_no_context_takeover'],
    ['permessage-deflate; server_max_window_bits=15', fflate, 'permessage-deflate; server_max_window_bits=15'],
    ['permessage-deflate; server_max_window_bits=10', fflate, null],
    ['permessage-deflate; server_max_window_bits=10', zlib, 'permessage-deflate; server_max_window_bits=10'],
    ['permessage-deflate; server_max_window_bits=8', zlib, null],
    ['permessage-deflate', { ...zlib, serverMaxWindowBits: 11 }, 'permessage-deflate; server_max_window_bits=11'],
    ['permessage-deflate; server_max_window_bits=10', { ...zlib, serverMaxWindowBits: 12 }, 'permessage-deflate; server_max_window_bits=10'],
    ['permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 9 }, 'permessage-deflate; client_max_window_bits=9'],
    ['permessage-deflate; client_max_window_bits=8', { clientMaxWindowBits: 9 }, 'permessage-deflate; client_max_window_bits=8'],
    ['permessage-deflate', { clientMaxWindowBits: 9 }, null],
    ['permessage-deflate', { serverNoContextTakeover: true, clientNoContextTakeover: true }, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover'],
    ['permessage-deflate; unknown', fflate, null],
  ]
  for (const [offer, options, expected] of cases) t.equal(answer(offer, options), expected, `${offer} ${JSON.stringify(options)}`)
  t.same(acceptOffer(elements('permessage-deflate; client_max_window_bits=12; server_no_context_takeover')[0], zlib)!.agreement,
    { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 12 })
})

t.test('options out of range are errors of the caller', async (t) => {
  t.throws(() => acceptOffer(elements('permessage-deflate')[0], { serverMaxWindowBits: 7 }), RangeError)
  t.throws(() => deflateNegotiator({ minWindowBits: 16 }), RangeError)
  t.throws(() => acceptOffer(elements('permessage-deflate')[0], { serverMaxWindowBits: 10 }), /below what the compressor can do/)
  t.throws(() => deflateNegotiator({ serverMaxWindowBits: 10 }), /below what the compressor can do/, 'when the negotiator is made, not at a handshake')
  t.throws(() => deflateOffer({ clientMaxWindowBits: 10 }), /below what the compressor can do/)
})

t.test('the negotiator picks the first acceptable offer through the Upgrader', async (t) => {
  const upgrader = new Upgrader({ negotiate: deflateNegotiator() })
  const request = (extensions: string) => Buffer.from(`GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
    + `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ${extensions}\r\n\r\n`)
  const result = upgrader.upgrade(request('x-other, permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits, permessage-deflate'), 0)
  if (result.kind !== 'accepted') return t.fail(result.kind)
  t.same(result.extensions.map(formatExtension), ['permessage-deflate'], 'the 10-bit offer declined (fflate), the next one answered, the rest not offered')
  t.same(agreementOf(result.extensions[0]), { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 })
  t.equal(agreementOf(elements('permessage-deflate; client_max_window_bits')[0]), null, 'a response must give a value')
  t.equal(agreementOf(elements('x-other')[0]), null)
})

t.test('a client offers and checks the answer (§5.1, §7.1)', async (t) => {
  t.equal(formatExtension(deflateOffer()), 'permessage-deflate', 'fflate cannot limit its window: no client_max_window_bits')
  t.equal(formatExtension(deflateOffer({ minWindowBits: 9 })), 'permessage-deflate; client_max_window_bits')
  t.equal(formatExtension(deflateOffer({ minWindowBits: 9, clientMaxWindowBits: 10, serverMaxWindowBits: 12, serverNoContextTakeover: true })),
    'permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10')
  const check = (offer: string, response: string, options = {}) => acceptResponse(elements(offer)[0], elements(response)[0], options)
  t.same(check('permessage-deflate', 'permessage-deflate; server_max_window_bits=10; client_no_context_takeover'),
    { serverNoContextTakeover: false, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 15 }, 'a server may name its window unasked')
  t.same(check('permessage-deflate; client_max_window_bits', 'permessage-deflate; client_max_window_bits=9', { minWindowBits: 9 }).clientMaxWindowBits, 9)
  const refused: [string, string, object, RegExp][] = [
    ['permessage-deflate', 'permessage-deflate; bogus', {}, /invalid parameters/],
    ['permessage-deflate', 'permessage-deflate; client_max_window_bits=10', {}, /was not offered/],
    ['permessage-deflate; client_max_window_bits', 'permessage-deflate; client_max_window_bits', { minWindowBits: 9 }, /without a value/],
    ['permessage-deflate; client_max_window_bits=10', 'permessage-deflate; client_max_window_bits=11', { minWindowBits: 9 }, /larger than offered/],
    ['permessage-deflate; client_max_window_bits', 'permessage-deflate; client_max_window_bits=8', { minWindowBits: 9 }, /below what the compressor can do/],
    ['permessage-deflate; server_max_window_bits=10', 'permessage-deflate', {}, /asked and not answered/],
    ['permessage-deflate; server_max_window_bits=10', 'permessage-deflate; server_max_window_bits=11', {}, /larger than offered/],
    ['permessage-deflate; server_no_context_takeover', 'permessage-deflate', {}, /not granted/],
  ]
  for (const [offer, response, options, message] of refused) {
    t.throws(() => check(offer, response, options), message, `${offer} -> ${response}`)
    t.ok((() => { try { check(offer, response, options) } catch (e) { return e instanceof HandshakeError && e.status === 101 } })(), 'a HandshakeError')
  }
  t.throws(() => check('permessage-deflate; foo', 'permessage-deflate'), TypeError, 'the offer itself must be valid')
})

t.test('real peers: a ws client offers to our Upgrader; our offer to a ws server', async (t) => {
  const upgrader = new Upgrader({ negotiate: deflateNegotiator() })
  const server = createServer(async (socket) => {
    const accepted = await acceptSocket(socket, upgrader)
    accepted.socket.resume()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  for (const perMessageDeflate of [true, { serverNoContextTakeover: true }, { clientNoContextTakeover: true, clientMaxWindowBits: 10 }]) {
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`, { perMessageDeflate })
    await once(ws, 'open')
    t.match(ws.extensions, /^permessage-deflate/, `ws client ${JSON.stringify(perMessageDeflate)} accepted ${ws.extensions}`)
    ws.terminate()
  }

  for (const perMessageDeflate of [true, { serverNoContextTakeover: true }, { serverMaxWindowBits: 10 }, { clientNoContextTakeover: true }]) {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate })
    await once(wss, 'listening')
    const offer = deflateOffer()
    const dialed = await dial(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, { extensions: [offer] })
    t.equal(dialed.extensions.length, 1)
    const agreement = acceptResponse(offer, dialed.extensions[0])
    t.ok(agreement, `ws server ${JSON.stringify(perMessageDeflate)} answered ${formatExtension(dialed.extensions[0])}`)
    dialed.socket.destroy()
    wss.close()
  }
})
