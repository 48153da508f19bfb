// The portable checks: ws-core's and ws-flate's code run on bytes (RFC 6455 and RFC 7692
// examples, split at every boundary, and realistic messages), with no Node.js API but what
// ws-flate's zlib engine asks of a runtime. The same function runs under Node.js (in the tap
// test), Bun and Deno (through main.ts); portable.test.ts compares what each returns.
import {
  acceptKey, advanceState, checkCloseBody, checkHeader, cipher, compileFrame, encodeCloseBody, formatExtension, headerSize,
  isValidUtf8, maskFrameWith, newHeader, newProtocolState, newTextFrame, OpCode, parseCloseBody, parseExtensions, parseServerResponse,
  buildClientRequest, readHeader, Upgrader, Utf8Validator, WebSocketError, writeHeader, type Extension, type Header,
} from '@ws-toolkit/ws-core'
import {
  compressFrame, decompressFrame, defaultEngine, EngineUnavailableError, fflateEngine, MessageDeflater, MessageInflater,
  type DeflateEngine,
} from '@ws-toolkit/ws-flate'

/** Value is one check's outcome: what is compared across runtimes. */
export type Value = string | number | boolean

/** Outcome is what a runtime returns: `same` must be equal everywhere; `own` may differ by runtime. */
export interface Outcome {
  /** Checks whose results must be identical on every runtime, by name. */
  same: Record<string, Value>
  /** Checks that describe the runtime (its default engine, what its zlib does), by name. */
  own: Record<string, Value>
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** hex writes bytes as lowercase hex, two digits a byte. */
export function hex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}

/** fnv1a is a 32-bit FNV-1a digest, to compare large outputs without printing them. */
function fnv1a(bytes: Uint8Array): string {
  let hash = 0x811c9dc5
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  return hash.toString(16).padStart(8, '0')
}

/** concat joins byte arrays into a new one. */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** failure names what a function throws (class, code, close code), or 'none'. */
function failure(run: () => unknown): string {
  try {
    run()
    return 'none'
  } catch (error) {
    if (error instanceof WebSocketError) return `${error.name} ${error.code} ${error.closeCode}`
    return error instanceof Error ? error.name : 'thrown'
  }
}

/** headerText writes a header's fields on one line. */
function headerText(header: Header): string {
  return `fin=${header.fin} rsv=${header.rsv} op=${header.opCode} masked=${header.masked} mask=${header.mask.toString(16)} length=${header.length}`
}

/** A deterministic generator (xorshift32), so every runtime builds the same messages. */
function generator(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 0x100000000
  }
}

/** jsonMessages are realistic messages: market-data-like JSON records of varied sizes. */
function jsonMessages(count: number, seed: number): Uint8Array[] {
  const random = generator(seed)
  const symbols = ['EURUSD', 'GBPUSD', 'USDJPY', 'BTC-USD', 'ETH-USD', 'AAPL', 'MSFT', 'Ωmega', '東京']
  const messages: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const rows = Array.from({ length: 1 + Math.floor(random() * 400) }, (_, n) => ({
      symbol: symbols[Math.floor(random() * symbols.length)],
      bid: Math.round(random() * 1e6) / 1e4,
      ask: Math.round(random() * 1e6) / 1e4,
      seq: i * 1000 + n,
      venue: random() < 0.5 ? 'XNAS' : 'XLON',
    }))
    messages.push(encoder.encode(JSON.stringify({ type: 'snapshot', id: i, rows })))
  }
  return messages
}

/** The framing checks: RFC 6455 §5.7's examples and the header's length forms (§5.2). */
function framing(same: Record<string, Value>): void {
  // §5.7: a single-frame masked text message containing "Hello".
  const masked = Uint8Array.of(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58)
  const header = newHeader()
  for (let cut = 0; cut <= masked.length; cut++) {
    const size = readHeader(masked.subarray(0, cut), 0, header)
    same[`readHeader §5.7 masked, first ${cut} bytes`] = size === 0 ? 'wait' : `${size}: ${headerText(header)}`
  }
  const payload = masked.slice(6)
  cipher(payload, header.mask, 0)
  same['cipher §5.7 masked "Hello"'] = decoder.decode(payload)
  same['compileFrame(maskFrameWith(Hello, 0x37fa213d))'] = hex(compileFrame(maskFrameWith(newTextFrame('Hello'), 0x37fa213d)))
  // §5.2: 7-bit, 16-bit and 64-bit payload lengths.
  for (const length of [0, 125, 126, 65535, 65536, 2 ** 32 + 7]) {
    const out = new Uint8Array(14)
    const written = writeHeader(out, 0, { fin: true, rsv: 0, opCode: OpCode.Binary, masked: false, mask: 0, length })
    same[`writeHeader length ${length}`] = `${written}/${headerSize({ fin: true, rsv: 0, opCode: OpCode.Binary, masked: false, mask: 0, length })}: ${hex(out.subarray(0, written))}`
  }
  // §5.7: a fragmented unmasked text message, checked frame by frame as a client sees it.
  const state = newProtocolState('client')
  for (const bytes of [Uint8Array.of(0x01, 0x03, 0x48, 0x65, 0x6c), Uint8Array.of(0x80, 0x02, 0x6c, 0x6f)]) {
    readHeader(bytes, 0, header)
    checkHeader(header, state)
    advanceState(state, header)
  }
  same['checkHeader §5.7 fragments'] = 'ok'
  // §5.5: a control frame must not be fragmented; §5.1: a server's frames are not masked.
  same['checkHeader fragmented ping'] = failure(() => (readHeader(Uint8Array.of(0x09, 0x00), 0, header), checkHeader(header, newProtocolState('client'))))
  same['checkHeader masked frame from a server'] = failure(() => (readHeader(masked, 0, header), checkHeader(header, newProtocolState('client'))))
  same['checkHeader unmasked frame from a client'] = failure(() => (readHeader(Uint8Array.of(0x81, 0x00), 0, header), checkHeader(header, newProtocolState('server'))))
  // Masking a large buffer from an odd offset equals the byte-by-byte rule of §5.3.
  const random = generator(7)
  const big = Uint8Array.from({ length: (1 << 20) + 13 }, () => Math.floor(random() * 256))
  const expected = big.map((byte, i) => (i < 3 ? byte : byte ^ [0x12, 0x34, 0x56, 0x78][(i - 3 + 1) % 4]!))
  cipher(big.subarray(3), 0x12345678, 1)
  same['cipher 1 MiB from offset 1 equals §5.3 byte by byte'] = hex(big.subarray(0, 16)) + ' ' + String(big.every((byte, i) => byte === expected[i]))
}

/** The UTF-8 checks (RFC 3629, RFC 6455 §8.1), whole and split at every byte. */
function utf8(same: Record<string, Value>): void {
  const cases: [string, Uint8Array][] = [
    ['κόσμε', encoder.encode('κόσμε')],
    ['overlong /', Uint8Array.of(0xc0, 0xaf)],
    ['surrogate', Uint8Array.of(0xed, 0xa0, 0x80)],
    ['U+10FFFF', Uint8Array.of(0xf4, 0x8f, 0xbf, 0xbf)],
    ['above U+10FFFF', Uint8Array.of(0xf4, 0x90, 0x80, 0x80)],
    ['truncated', Uint8Array.of(0xe2, 0x82)],
    ['mixed scripts', encoder.encode('ASCII, Ελληνικά, 日本語, emoji 🎉, done')],
  ]
  for (const [name, bytes] of cases) {
    same[`isValidUtf8 ${name}`] = isValidUtf8(bytes)
    const splits: string[] = []
    for (let cut = 0; cut <= bytes.length; cut++) {
      const validator = new Utf8Validator()
      splits.push(`${validator.write(bytes.subarray(0, cut))}${validator.write(bytes.subarray(cut))}${validator.end()}`)
    }
    same[`Utf8Validator ${name}, split at every byte`] = splits.join(' ')
  }
}

/** The close-body checks (RFC 6455 §5.5.1, §7.4). */
function closeBodies(same: Record<string, Value>): void {
  const body = encodeCloseBody(1000, 'bye')
  same['encodeCloseBody(1000, bye)'] = hex(body)
  const parsed = parseCloseBody(body)
  same['parseCloseBody'] = `${parsed.code} ${decoder.decode(parsed.reason)}`
  same['checkCloseBody 1005'] = failure(() => checkCloseBody(1005, new Uint8Array(0)))
  same['checkCloseBody 3000 with invalid UTF-8'] = failure(() => checkCloseBody(3000, Uint8Array.of(0xff)))
}

/** The handshake checks: RFC 6455 §1.3's request and key, split at every byte; a plain GET; the client's side. */
function handshakes(same: Record<string, Value>): void {
  same['acceptKey §1.3'] = acceptKey('dGhlIHNhbXBsZSBub25jZQ==')
  const request = encoder.encode(
    'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n' +
      'Sec-WebSocket-Version: 13\r\n\r\n',
  )
  const seen: string[] = []
  const upgrader = new Upgrader({ protocol: (name) => decoder.decode(name) === 'chat', onRequest: (uri) => seen.push(decoder.decode(uri)) })
  const kinds = new Set<string>()
  for (let cut = 0; cut < request.length; cut++) kinds.add(upgrader.upgrade(request.subarray(0, cut)).kind)
  same['Upgrader §1.3 request cut short'] = [...kinds].join(' ')
  const accepted = upgrader.upgrade(request)
  same['Upgrader §1.3 request'] = accepted.kind === 'accepted' ? `${accepted.end} ${accepted.protocol} ${decoder.decode(accepted.response)}` : accepted.kind
  same['Upgrader onRequest'] = seen.at(-1) ?? ''
  const plain = upgrader.upgrade(encoder.encode('GET / HTTP/1.1\r\nHost: a\r\n\r\n'))
  same['Upgrader plain GET'] = plain.kind === 'rejected' ? `${plain.error.status} ${decoder.decode(plain.response).split('\r\n')[0]}` : plain.kind
  // The client's side: its request parses back, and a response with the right key is accepted.
  const offer: Extension = { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: null }] }
  const client = buildClientRequest({ host: 'server.example.com', path: '/chat', protocols: ['chat'], extensions: [offer] })
  const requestText = decoder.decode(client.request)
  same['buildClientRequest'] = requestText.replace(client.key, '<key>')
  const response = encoder.encode(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(client.key)}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`)
  const answer = parseServerResponse(client, response)
  same['parseServerResponse'] = answer === null ? 'incomplete' : `${answer.protocol} ${answer.end === response.length}`
  same['parseServerResponse wrong accept key'] = failure(() => parseServerResponse(client, encoder.encode(decoder.decode(response).replace(acceptKey(client.key), acceptKey('x')))))
  const extensions: Extension[] = []
  const header = encoder.encode('permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo')
  same['parseExtensions'] = `${parseExtensions(header, 0, header.length, extensions)} ${extensions.map(formatExtension).join(', ')}`
}

/** inflateAll inflates payloads through one MessageInflater, each to a string (or the error's name). */
function inflateAll(engine: DeflateEngine, keepContext: boolean, payloads: readonly Uint8Array[]): string[] {
  const inflater = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext }))
  try {
    return payloads.map((payload) => {
      try {
        return decoder.decode(inflater.inflate(payload))
      } catch (error) {
        return (error as Error).name
      }
    })
  } finally {
    inflater.close()
  }
}

/**
 * A takeover round trip of realistic messages through `engine`: the compressed bytes' total and
 * digest (equal across runtimes for a portable engine), and whether every message came back.
 */
function roundTrip(engine: DeflateEngine, keepContext: boolean, level: number): { size: number; digest: string; back: boolean } {
  const messages = jsonMessages(40, 11)
  const deflater = new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext, level }), { keepContext })
  const inflater = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext }))
  try {
    const compressed = messages.map((message) => new Uint8Array(deflater.compress(message) ?? new Uint8Array(0)))
    const back = compressed.every((payload, i) => hex(inflater.inflate(payload)) === hex(messages[i]!))
    return { size: compressed.reduce((sum, part) => sum + part.length, 0), digest: fnv1a(concat(compressed)), back }
  } finally {
    deflater.close()
    inflater.close()
  }
}

/** The permessage-deflate checks (RFC 7692 §7.2.3), on the portable engine and the runtime's. */
async function deflate(same: Record<string, Value>, own: Record<string, Value>): Promise<void> {
  // §7.2.3.1: "Hello" compressed; §7.2.3.2: the same, then a reference to it (takeover);
  // §7.2.3.3: a stored block; §7.2.3.4: a BFINAL block, then a reference across it.
  const hello = Uint8Array.of(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00)
  same['compressFrame(Hello) §7.2.3.1'] = hex(compressFrame(newTextFrame('Hello'), { engine: fflateEngine }).payload)
  const frame = compressFrame(newTextFrame('Hello'), { engine: fflateEngine })
  same['compressFrame RSV1'] = frame.header.rsv
  same['decompressFrame §7.2.3.1'] = decoder.decode(decompressFrame({ header: { ...frame.header, length: hello.length }, payload: hello }, { engine: fflateEngine }).payload)
  same['fflate §7.2.3.2 takeover'] = inflateAll(fflateEngine, true, [hello, Uint8Array.of(0xf2, 0x00, 0x11, 0x00, 0x00)]).join(' ')
  same['fflate §7.2.3.3 stored'] = inflateAll(fflateEngine, false, [Uint8Array.of(0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00)]).join(' ')
  same['fflate §7.2.3.4 across BFINAL'] = inflateAll(fflateEngine, true, [Uint8Array.of(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00), Uint8Array.of(0xf2, 0x00, 0x11, 0x00, 0x00)]).join(' ')
  same['fflate corrupt data'] = inflateAll(fflateEngine, false, [Uint8Array.of(0xff, 0xff, 0xff)]).join(' ')
  for (const keepContext of [true, false]) {
    for (const level of [1, 6, 9]) {
      const result = roundTrip(fflateEngine, keepContext, level)
      same[`fflate 40 JSON messages, takeover ${keepContext}, level ${level}`] = `${result.size} bytes, digest ${result.digest}, back ${result.back}`
    }
  }
  own['defaultEngine'] = defaultEngine().name
  // The zlib engine drives the runtime's node:zlib: it either refuses with why, or its output is
  // exactly the runtime's own deflateRawSync (with a sync flush) and inflates back.
  const { zlibEngine } = await import('@ws-toolkit/ws-flate/zlib')
  try {
    zlibEngine.createDeflater({ windowBits: 15, keepContext: true }).close?.()
  } catch (error) {
    if (!(error instanceof EngineUnavailableError)) throw error
    own['zlib engine'] = `refused: ${error.reason}`
    return
  }
  const zlib = await import('node:zlib')
  const message = encoder.encode('{"hello":"world","n":12345}'.repeat(4000)).subarray(0, 100_000)
  const sizes: string[] = []
  let asRuntime = true
  for (const level of [1, 6, 9]) {
    const deflater = zlibEngine.createDeflater({ windowBits: 15, keepContext: true, level })
    const ours = new Uint8Array(deflater.write(message, true))
    deflater.close?.()
    const runtime = zlib.deflateRawSync(message, { level, finishFlush: zlib.constants.Z_SYNC_FLUSH })
    asRuntime &&= hex(ours) === hex(runtime)
    const back = inflateAll(fflateEngine, false, [ours.subarray(0, ours.length - 4)])[0] === decoder.decode(message)
    sizes.push(`level ${level}: ${ours.length} bytes${back ? '' : ' (does not inflate back)'}`)
  }
  own['zlib engine'] = `works; 100 KB repetitive JSON: ${sizes.join(', ')}`
  own['zlib engine output is the runtime zlib deflateRawSync, byte for byte'] = asRuntime
  own['zlib engine 40 JSON messages back'] = roundTrip(zlibEngine, true, 6).back
  own['zlib engine §7.2.3.4 across BFINAL'] = inflateAll(zlibEngine, true, [Uint8Array.of(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00), Uint8Array.of(0xf2, 0x00, 0x11, 0x00, 0x00)]).join(' ')
}

/** runChecks runs every check and returns the outcome. */
export async function runChecks(): Promise<Outcome> {
  const same: Record<string, Value> = {}
  const own: Record<string, Value> = {}
  framing(same)
  utf8(same)
  closeBodies(same)
  handshakes(same)
  await deflate(same, own)
  return { same, own }
}
