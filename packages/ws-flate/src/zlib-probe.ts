import { concat } from './concat.js'
import { type DeflaterOptions, EngineUnavailableError, type InflaterOptions, type RawDeflater, type RawInflater, type Sink } from './engine.js'
import { MessageInflater } from './message-inflater.js'

/** Unchecked is what the probe drives: the zlib engine's raw makers before any check. */
export interface Unchecked {
  /** A raw compressor on the node:zlib under test. */
  createDeflater(options: DeflaterOptions): RawDeflater & { close(): void }
  /** A raw decompressor on the node:zlib under test. */
  createInflater(options: InflaterOptions): RawInflater & { close(): void }
}

const probe = new TextEncoder().encode('permessage-deflate, permessage-deflate')
/**
 * RFC 7692 §7.2.3.3-4: "Hello" ending with a BFINAL block, then "Hello" as a reference across
 * it, which an inflater can only resolve by restarting with the window as its dictionary.
 */
const acrossBfinal = [Uint8Array.of(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00), Uint8Array.of(0xf2, 0x00, 0x11, 0x00, 0x00)]
const hello = 'Hello'

/** collect gathers what an inflater hands its sink (views valid during the call only: copied). */
function collect(): { sink: Sink; bytes: () => Uint8Array } {
  const pieces: Uint8Array[] = []
  return { sink: (piece) => pieces.push(new Uint8Array(piece)), bytes: () => concat(pieces) }
}

/**
 * zlibProblem checks the zlib engine on one runtime's node:zlib, through `raw`: a message
 * compressed and inflated back twice with context takeover, and RFC 7692 §7.2.3.4's reference
 * across a BFINAL block. Returns null when all holds, or why not, in a sentence (a missing
 * binding, a round trip that does not give the message back, an inflater that ignores its
 * dictionary, as Deno 2.9's does). What it opens, it closes, whatever throws.
 */
export function zlibProblem(raw: Unchecked): string | null {
  const opened: { close(): void }[] = []
  const roundTrip = "a round trip through this runtime's node:zlib does not give the message back"
  const restart = "this runtime's raw inflater does not restart from the window after a BFINAL block (RFC 7692 §7.2.3.4)"
  const step = { failing: '' }
  let problem: string | null
  try {
    problem = steps(raw, opened, step, roundTrip, restart)
  } catch (error) {
    if (error instanceof EngineUnavailableError) problem = error.reason
    else {
      const message = error instanceof Error ? error.message : String(error)
      problem = step.failing === '' ? `this runtime's node:zlib fails to open a raw stream: ${message}` : `${step.failing}: ${message}`
    }
  }
  for (const made of opened) made.close()
  return problem
}

/** steps runs the probe's steps, keeping what it opens in `opened` and the step under way in `step.failing`. */
function steps(raw: Unchecked, opened: { close(): void }[], step: { failing: string }, roundTrip: string, restart: string): string | null {
  const open = <T extends { close(): void }>(made: T) => (opened.push(made), made)
  const text = new TextDecoder()
  const deflater = open(raw.createDeflater({ windowBits: 15, keepContext: true }))
  const inflater = open(raw.createInflater({ windowBits: 15, keepContext: true }))
  step.failing = roundTrip
  for (let i = 0; i < 2; i++) {
    const out = collect()
    inflater.write(new Uint8Array(deflater.write(probe, true)), true, out.sink, 1 << 16)
    if (text.decode(out.bytes()) !== text.decode(probe)) return roundTrip
  }
  step.failing = restart
  const restarted = open(new MessageInflater(raw.createInflater({ windowBits: 15, keepContext: true })))
  for (const payload of acrossBfinal) {
    if (text.decode(restarted.inflate(payload)) !== hello) return restart
  }
  return null
}
