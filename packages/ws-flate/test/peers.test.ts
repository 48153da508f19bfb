// Compression with a real peer: ws's client against this server, and this client against
// ws's server, in the configurations RFC 7692 allows, with both engines.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import WebSocket, { type PerMessageDeflateOptions as WsDeflateOptions, WebSocketServer } from 'ws'
import { formatExtension, OpCode, Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, BatchWriter, dial, readClientData, readServerData } from '@ws-toolkit/ws-util'
import {
  acceptResponse, agreementOf, type DeflateEngine, type DeflateNegotiationOptions, deflateNegotiator, deflateOffer, fflateEngine, PerMessageDeflate,
} from '../src/index.js'
import { zlibEngine } from '../src/zlib.js'

const words = Array.from({ length: 20000 }, (_, i) => `word${i % 300} `).join('')
/** Messages that exercise the window: repeats across messages, a large compressible one, random bytes, an empty one. */
const messages: (string | Buffer)[] = ['hello', 'hello', words, randomBytes(70_000), '', words.slice(0, 5000), Buffer.alloc(200_000, 7), 'hello']

/** ourServer echoes with compression through the Upgrader, DataReader and BatchWriter. */
async function ourServer(t: Test, engine: DeflateEngine, options: DeflateNegotiationOptions = {}) {
  const upgrader = new Upgrader({ negotiate: deflateNegotiator({ ...options, minWindowBits: engine.minWindowBits }) })
  const received = { bytes: 0, response: '' }
  const server = createServer(async (socket: Socket) => {
    const accepted = await acceptSocket(socket, upgrader)
    received.response = accepted.extensions.map(formatExtension).join(', ')
    const agreement = accepted.extensions.length > 0 ? agreementOf(accepted.extensions[0]) : null
    const deflate = agreement === null ? null : new PerMessageDeflate(agreement, 'server', { engine, threshold: 0 })
    const writer = new BatchWriter(socket, { side: 'server', compressor: deflate?.deflater })
    readClientData(socket, accepted.head, {
      onMessage: (opCode, data) => writer.writeMessage(opCode, data),
      onClose: () => {
        received.bytes = socket.bytesRead
        deflate?.close()
      },
    }, { writer, decompressor: deflate?.inflater })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return { url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`, received }
}

/** wsClientEcho sends every message with ws's client and returns what came back, and the bytes each way. */
async function wsClientEcho(url: string, deflate: WsDeflateOptions | false) {
  const ws = new WebSocket(url, { perMessageDeflate: deflate })
  await once(ws, 'open')
  const extensions = ws.extensions
  const back: (string | Buffer)[] = []
  const done = new Promise<void>((resolve) => ws.on('message', (data: Buffer, isBinary) => {
    back.push(isBinary ? data : data.toString())
    if (back.length === messages.length + 1) resolve()
  }))
  for (const message of messages) ws.send(message)
  ws.send('a fragmented ', { fin: false })
  ws.send('message', { fin: true })
  await done
  const read = (ws as unknown as { _socket: Socket })._socket.bytesRead
  ws.close(1000)
  await once(ws, 'close')
  return { back, extensions, read }
}

const total = messages.reduce((n, m) => n + m.length, 0)

t.test('ws client ↔ this server, compression both ways', async (t) => {
  const cases: [string, DeflateEngine, DeflateNegotiationOptions, WsDeflateOptions, RegExp][] = [
    ['defaults (context takeover)', fflateEngine, {}, { threshold: 0 }, /^permessage-deflate$/],
    ['defaults, zlib engine', zlibEngine, {}, { threshold: 0 }, /^permessage-deflate$/],
    ['no context takeover either way', fflateEngine, {}, { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true }, /server_no_context_takeover; client_no_context_takeover/],
    ['the server asks for no context takeover', zlibEngine, { serverNoContextTakeover: true, clientNoContextTakeover: true }, { threshold: 0 }, /server_no_context_takeover/],
    ['window bits 10 and 11', zlibEngine, {}, { threshold: 0, serverMaxWindowBits: 10, clientMaxWindowBits: 11 }, /server_max_window_bits=10; client_max_window_bits=11/],
    ['window bits 9 either way, no takeover', zlibEngine, {}, { threshold: 0, serverMaxWindowBits: 9, clientMaxWindowBits: 9, serverNoContextTakeover: true }, /server_max_window_bits=9/],
    ['the server limits the client to 9 bits', zlibEngine, { clientMaxWindowBits: 9 }, { threshold: 0 }, /client_max_window_bits=9/],
  ]
  for (const [name, engine, ours, theirs, response] of cases) {
    const { url, received } = await ourServer(t, engine, ours)
    const { back, read } = await wsClientEcho(url, theirs)
    t.match(received.response, response, `${name}: ${received.response}`)
    t.same(back, [...messages, 'a fragmented message'], `${name}: every message echoed`)
    t.ok(read < total / 2 && received.bytes < total / 2, `${name}: compressed both ways (${read} and ${received.bytes} bytes for ${total})`)
  }
})

t.test('fflate cannot keep to a small window: that offer is declined, messages go uncompressed', async (t) => {
  const { url } = await ourServer(t, fflateEngine)
  const { back, extensions, read } = await wsClientEcho(url, { serverMaxWindowBits: 10 })
  t.equal(extensions, '')
  t.same(back.length, messages.length + 1)
  t.ok(read > total, 'uncompressed')
})

/** ourClientEcho dials ws's echo server with an offer for `engine` and sends every message. */
async function ourClientEcho(t: Test, engine: DeflateEngine, serverOptions: WsDeflateOptions, offerOptions: DeflateNegotiationOptions = {}) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, ...serverOptions } })
  t.teardown(() => server.close())
  await once(server, 'listening')
  const bytes = { read: 0 }
  server.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      bytes.read = (ws as unknown as { _socket: Socket })._socket.bytesRead
      ws.send(data, { binary: isBinary })
    })
  })
  const options = { ...offerOptions, minWindowBits: engine.minWindowBits }
  const offer = deflateOffer(options)
  const dialed = await dial(`ws://127.0.0.1:${(server.address() as { port: number }).port}`, { extensions: [offer] })
  const agreement = acceptResponse(offer, dialed.extensions[0], options)
  const deflate = new PerMessageDeflate(agreement, 'client', { engine, threshold: 0 })
  const writer = new BatchWriter(dialed.socket, { side: 'client', compressor: deflate.deflater })
  const back: (string | Buffer)[] = []
  await new Promise<void>((resolve, reject) => {
    readServerData(dialed.socket, dialed.head, {
      onMessage: (opCode, data) => {
        back.push(opCode === OpCode.Text ? Buffer.from(data).toString() : Buffer.from(data))
        if (back.length === messages.length) resolve()
      },
      onClose: reject,
    }, { writer, decompressor: deflate.inflater })
    for (const message of messages) writer.writeMessage(typeof message === 'string' ? OpCode.Text : OpCode.Binary, typeof message === 'string' ? Buffer.from(message) : message)
  })
  const read = dialed.socket.bytesRead
  writer.writeClose(1000)
  writer.flush()
  await new Promise((resolve) => dialed.socket.on('close', resolve))
  deflate.close()
  return { back, response: dialed.extensions, agreement, read, serverRead: bytes.read }
}

t.test('this client ↔ ws server, compression both ways', async (t) => {
  const cases: [string, DeflateEngine, WsDeflateOptions, DeflateNegotiationOptions][] = [
    ['defaults', fflateEngine, {}, {}],
    ['defaults, zlib engine', zlibEngine, {}, {}],
    ['the server resets its context', fflateEngine, { serverNoContextTakeover: true, clientNoContextTakeover: true }, {}],
    ['the client asks for no takeover', zlibEngine, {}, { serverNoContextTakeover: true, clientNoContextTakeover: true }],
    ['the server limits both windows', zlibEngine, { serverMaxWindowBits: 10, clientMaxWindowBits: 9 }, {}],
    ['the client asks for small windows', zlibEngine, {}, { serverMaxWindowBits: 9, clientMaxWindowBits: 12 }],
  ]
  for (const [name, engine, theirs, ours] of cases) {
    const { back, agreement, read, serverRead } = await ourClientEcho(t, engine, theirs, ours)
    t.same(back, messages, `${name}: every message echoed (${JSON.stringify(agreement)})`)
    t.ok(read < total / 2 && serverRead < total / 2, `${name}: compressed both ways (${read} and ${serverRead} bytes for ${total})`)
  }
})

t.test('a close and a compressed frame in one packet: the engine is closed, then left alone (zlib would abort)', async (t) => {
  const { url } = await ourServer(t, zlibEngine)
  const { connect } = await import('node:net')
  const { compileFrame, maskFrame, newCloseFrame, newTextFrame, Rsv1 } = await import('@ws-toolkit/ws-core')
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
    + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n')
  await once(socket, 'data')
  const compressed = newTextFrame(Buffer.from('f248cdc9c90700', 'hex'))
  compressed.header.rsv = Rsv1
  socket.write(Buffer.concat([compileFrame(maskFrame(newCloseFrame(1000))), compileFrame(maskFrame(compressed))]))
  const [reply] = (await once(socket, 'data')) as [Buffer]
  t.equal(reply.toString('hex'), '880203e8', 'the close is answered, and this process is still here')
  socket.destroy()
})
