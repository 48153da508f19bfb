/**
 * The differential check of a compression engine against node:zlib, the trusted
 * implementation, over one connection's sequence of messages, in both directions:
 * - the engine compresses (whole messages or in fragments) and node:zlib inflates each message
 *   with the agreed window, and with the earlier messages as its dictionary when the context is
 *   taken over (what the peer's window then holds);
 * - node:zlib compresses (the agreed window, a sync flush, or a BFINAL ending as RFC 7692
 *   §7.2.3.4 allows) and the engine inflates, fed in random fragments.
 * Every message must come back byte for byte. A failure throws, naming the message.
 */
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib'
import fc from 'fast-check'
import { type DeflateEngine, MessageDeflater, MessageInflater, syncTail } from '../../src/index.js'
import { History } from '../../src/history.js'
import { expand, type Recipe, recipe } from './corpus.js'

/** Message is one message of a trial: its bytes' recipe, where it is cut, how zlib ends it. */
export interface Message {
  /** What the message holds (see corpus.ts). */
  recipe: Recipe
  /** Fractions of the message (and of its compressed payload) where it is cut into fragments. */
  cuts: readonly number[]
  /** node:zlib's ending: a sync flush (tail removed), a BFINAL block, or a BFINAL block and a 00 byte (RFC 7692 §7.2.3.4). */
  ending: 'sync' | 'bfinal' | 'bfinal+00'
}

/** Trial is one connection: an engine, its agreement, a compression level, and its messages. */
export interface Trial {
  engine: DeflateEngine
  /** Context takeover, both directions (RFC 7692 §7.1.1). */
  keepContext: boolean
  /** Compression level of both compressors: 1, 6 or 9. */
  level: number
  /** Memory level of the compressor (its hash table): the engine's default, or 1, 5, 8 or 9. */
  memLevel: number | undefined
  /** The window the engine compresses with: from its minWindowBits to 15. */
  deflateBits: number
  /** The window the engine inflates with: 8 to 15 (zlib compresses with 9 for 8, as zlib peers do). */
  inflateBits: number
  messages: Message[]
}

const sync = constants.Z_SYNC_FLUSH

/** cut splits `data` at the given fractions, in order, empty pieces included. */
function cut(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = cuts.map((fraction) => Math.floor(fraction * data.length)).sort((a, b) => a - b)
  return [...points, data.length].map((end, i) => data.subarray(i === 0 ? 0 : points[i - 1], end))
}

/** dictionary: what a peer's window of `bits` holds of `history` (RFC 7692 §7.1.1's context takeover), as node:zlib options. */
function dictionary(history: History, bits: number): { dictionary?: Uint8Array } {
  const held = history.view()
  return held.length > 0 ? { dictionary: held.subarray(-(1 << bits)) } : {}
}

/**
 * compressedByEngine: the engine compresses, node:zlib inflates. Below 15 bits, zlib inflates
 * into 64-byte buffers: it checks a distance against its window only past the output of its
 * current call, so a reference past the window fails this way unless it misses by less than
 * 64 bytes.
 */
function compressedByEngine(trial: Trial, messages: Buffer[]): void {
  const { engine, keepContext, level, memLevel, deflateBits: bits } = trial
  const deflater = new MessageDeflater(engine.createDeflater({ windowBits: bits, keepContext, level, memLevel }), { keepContext })
  const history = new History()
  try {
    messages.forEach((message, i) => {
      const pieces = cut(message, trial.messages[i].cuts)
      const payload = Buffer.concat(pieces.map((piece, k) => Buffer.from(deflater.write(piece, k === pieces.length - 1))))
      let inflated: Buffer
      try {
        inflated = inflateRawSync(Buffer.concat([payload, syncTail]), { windowBits: bits, finishFlush: sync, ...(bits < 15 ? { chunkSize: 64 } : {}), ...(keepContext ? dictionary(history, bits) : {}) })
      } catch (error) {
        throw new Error(`${engine.name} compressed message ${i} (${message.length} bytes) into what node:zlib cannot inflate: ${(error as Error).message}`)
      }
      if (!inflated.equals(message)) throw new Error(`${engine.name} compressed message ${i} (${message.length} bytes): node:zlib inflates ${inflated.length} other bytes`)
      if (keepContext) history.append(message)
    })
  } finally {
    deflater.close()
  }
}

/** compressedByZlib: node:zlib compresses, the engine inflates the payload fed in fragments. */
function compressedByZlib(trial: Trial, messages: Buffer[]): void {
  const { engine, keepContext, level, inflateBits: bits } = trial
  const inflater = new MessageInflater(engine.createInflater({ windowBits: bits, keepContext }))
  const history = new History()
  try {
    messages.forEach((message, i) => {
      const { cuts, ending } = trial.messages[i]
      const options = { level, windowBits: Math.max(9, bits), ...(keepContext ? dictionary(history, Math.max(9, bits)) : {}) }
      let payload: Buffer
      if (ending === 'sync') {
        const out = deflateRawSync(message, { ...options, finishFlush: sync })
        payload = out.subarray(0, out.length - syncTail.length)
      } else {
        const out = deflateRawSync(message, options)
        payload = ending === 'bfinal' ? out : Buffer.concat([out, Buffer.of(0)])
      }
      const output: Buffer[] = []
      const keep = (chunk: Uint8Array) => output.push(Buffer.from(chunk))
      try {
        for (const piece of cut(payload, cuts)) inflater.write(piece, keep)
        inflater.end(keep)
      } catch (error) {
        throw new Error(`${engine.name} cannot inflate message ${i} (${message.length} bytes) that node:zlib compressed: ${(error as Error).message}`)
      }
      if (!Buffer.concat(output).equals(message)) throw new Error(`${engine.name} inflates message ${i} (${message.length} bytes) wrong`)
      if (keepContext) history.append(message)
    })
  } finally {
    inflater.close()
  }
}

/** checkTrial runs both directions; it returns the number of messages checked. */
export function checkTrial(trial: Trial): number {
  const messages = trial.messages.map((message) => expand(message.recipe))
  compressedByEngine(trial, messages)
  compressedByZlib(trial, messages)
  return messages.length
}

const message: fc.Arbitrary<Message> = fc.record({
  recipe,
  cuts: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }) }),
  ending: fc.constantFrom('sync' as const, 'sync' as const, 'sync' as const, 'bfinal' as const, 'bfinal+00' as const),
})

/**
 * trial draws a connection for one of `engines`: context takeover on or off, level 1, 6 or 9,
 * memory level default, 1, 5, 8 or 9, any window the engine accepts, 1 to 12 messages.
 */
export function trial(engines: readonly DeflateEngine[]): fc.Arbitrary<Trial> {
  return fc.constantFrom(...engines).chain((engine) => fc.record({
    engine: fc.constant(engine),
    keepContext: fc.boolean(),
    level: fc.constantFrom(1, 6, 9),
    memLevel: fc.constantFrom(undefined, 1, 5, 8, 9),
    deflateBits: fc.integer({ min: engine.minWindowBits, max: 15 }),
    inflateBits: fc.integer({ min: 8, max: 15 }),
    messages: fc.array(message, { minLength: 1, maxLength: 12 }),
  }))
}
