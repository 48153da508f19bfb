/**
 * The engines the fuzzer proves: both that ws-flate ships, and the one examples/custom-compressor.ts
 * shows a user how to write (a dev-only import across the workspace: nothing published uses it).
 */
import { oneShotEngine } from '../../../../examples/lib/one-shot-engine.ts'
import { type DeflateEngine, fflateEngine } from '../../src/index.js'
import { zlibEngine } from '../../src/zlib.js'

export const fuzzedEngines: readonly DeflateEngine[] = [fflateEngine, zlibEngine, oneShotEngine]
