import type { DeflateEngine } from './engine.js'
import { fflateEngine } from './fflate-engine.js'
import { problemOn, type ZlibModule, zlibEngineOn } from './zlib-engine.js'

/** Runtime is what {@link chooseEngine} reads of the running platform: its `process`, where it has one (exported for tests). */
export interface Runtime {
  /** Node.js's synchronous loader of its own modules (Node 20.16 and later; Bun and Deno have it too). */
  getBuiltinModule?(id: string): unknown
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
    if (zlib !== undefined && problemOn(zlib) === null) return zlibEngineOn(zlib)
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
