import type { DeflateEngine } from './engine.js'
import { fflateEngine } from './fflate-engine.js'
import { type ZlibModule, zlibEngineOn } from './zlib-engine.js'

/** Runtime is what {@link chooseEngine} reads of the running platform: its `process`, where it has one. */
export interface Runtime {
  /** Node.js's synchronous loader of its own modules (Node 20.16 and later; Bun and Deno have it too). */
  getBuiltinModule?(id: string): unknown
}

const probe = new TextEncoder().encode('permessage-deflate, permessage-deflate')

/** roundTrips checks that an engine compresses and inflates a message back, with context takeover, twice. */
function roundTrips(engine: DeflateEngine): boolean {
  const deflater = engine.createDeflater({ windowBits: 15, keepContext: true })
  const inflater = engine.createInflater({ windowBits: 15, keepContext: true })
  try {
    for (let i = 0; i < 2; i++) {
      const compressed = deflater.write(probe, true).slice()
      let size = 0
      let same = true
      inflater.write(compressed, true, (piece) => {
        for (let k = 0; k < piece.length; k++) same &&= piece[k] === probe[size + k]
        size += piece.length
      }, 1 << 16)
      if (!same || size !== probe.length) return false
    }
    return true
  } finally {
    deflater.close?.()
    inflater.close?.()
  }
}

/**
 * chooseEngine picks the fastest engine that works on `runtime`: the zlib engine where
 * node:zlib is there with the synchronous binding it drives and a round trip through it gives
 * the message back (Node.js), the fflate engine everywhere else (browsers, workers, Node.js
 * before 20.16, a runtime whose node:zlib lacks the binding).
 */
export function chooseEngine(runtime: Runtime | undefined): DeflateEngine {
  try {
    const zlib = runtime?.getBuiltinModule?.('node:zlib') as ZlibModule | undefined
    if (zlib !== undefined) {
      const engine = zlibEngineOn(zlib)
      if (roundTrips(engine)) return engine
    }
  } catch {
    // The zlib engine cannot run here.
  }
  return fflateEngine
}

let chosen: DeflateEngine | null = null

/**
 * defaultEngine is the engine {@link PerMessageDeflate} uses when given none: the zlib engine
 * on Node.js (the same object as `zlibEngine` from `@ws-toolkit/ws-flate/zlib`), about 5 times
 * fflate's speed, and fflate elsewhere (see {@link chooseEngine}). Chosen on first use, once.
 * Negotiate with its `minWindowBits` to accept windows below 15 bits.
 */
export function defaultEngine(): DeflateEngine {
  chosen ??= chooseEngine((globalThis as { process?: Runtime }).process)
  return chosen
}
