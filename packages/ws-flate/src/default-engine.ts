import { concat } from './concat.js'
import type { DeflateEngine, Sink } from './engine.js'
import { fflateEngine } from './fflate-engine.js'
import { MessageInflater } from './message-inflater.js'
import { type ZlibModule, zlibEngineOn } from './zlib-engine.js'

/** Runtime is what {@link chooseEngine} reads of the running platform: its `process`, where it has one (exported for tests). */
export interface Runtime {
  /** Node.js's synchronous loader of its own modules (Node 20.16 and later; Bun and Deno have it too). */
  getBuiltinModule?(id: string): unknown
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
 * works checks an engine on this runtime: a message compressed and inflated back twice with
 * context takeover, and RFC 7692 §7.2.3.4's reference across a BFINAL block. What it opens,
 * it closes, whatever throws.
 */
function works(engine: DeflateEngine): boolean {
  const opened: { close?(): void }[] = []
  const open = <T extends { close?(): void }>(made: T) => (opened.push(made), made)
  const text = new TextDecoder()
  try {
    const deflater = open(engine.createDeflater({ windowBits: 15, keepContext: true }))
    const inflater = open(engine.createInflater({ windowBits: 15, keepContext: true }))
    for (let i = 0; i < 2; i++) {
      const out = collect()
      inflater.write(new Uint8Array(deflater.write(probe, true)), true, out.sink, 1 << 16)
      if (text.decode(out.bytes()) !== text.decode(probe)) return false
    }
    const restarted = open(new MessageInflater(engine.createInflater({ windowBits: 15, keepContext: true })))
    return acrossBfinal.every((payload) => text.decode(restarted.inflate(payload)) === hello)
  } finally {
    for (const made of opened) made.close?.()
  }
}

/**
 * chooseEngine picks the fastest engine that works on `runtime`: the zlib engine where
 * node:zlib is there with the synchronous binding it drives, and a round trip through it gives
 * the messages back, across a BFINAL block too (Node.js, Bun), the fflate engine everywhere
 * else: browsers, workers, Node.js before 20.16, a runtime whose node:zlib lacks the binding,
 * and Deno (2.9), whose raw inflater ignores the dictionary that restart needs. Exported
 * for tests.
 */
export function chooseEngine(runtime: Runtime | undefined): DeflateEngine {
  try {
    const zlib = runtime?.getBuiltinModule?.('node:zlib') as ZlibModule | undefined
    if (zlib !== undefined) {
      const engine = zlibEngineOn(zlib)
      if (works(engine)) return engine
    }
  } catch {
    // The zlib engine cannot run here.
  }
  return fflateEngine
}

let chosen: DeflateEngine | null = null

/**
 * defaultEngine is the engine {@link PerMessageDeflate} uses when given none: the zlib engine
 * on Node.js and Bun (the same object as `zlibEngine` from `@ws-toolkit/ws-flate/zlib`), 2 to
 * 16 times fflate's speed (the package README has the numbers), and fflate elsewhere (see
 * `chooseEngine`). Chosen on first use, once. Negotiate with its `minWindowBits` to
 * accept windows below 15 bits.
 */
export function defaultEngine(): DeflateEngine {
  chosen ??= chooseEngine((globalThis as { process?: Runtime }).process)
  return chosen
}
