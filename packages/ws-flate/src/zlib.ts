/**
 * @ws-toolkit/ws-flate/zlib: the node:zlib engine (Node.js only), kept out of the main entry
 * so that the package loads where node:zlib does not exist. On Node.js it is also what
 * {@link @ws-toolkit/ws-flate!defaultEngine} picks.
 *
 * @module @ws-toolkit/ws-flate/zlib
 */
import zlib from 'node:zlib'
import type { DeflateEngine } from './engine.js'
import { zlibEngineOn } from './zlib-engine.js'

/** zlibEngine is the zlib engine on Node's node:zlib (see `zlibEngineOn` in zlib-engine.ts). */
export const zlibEngine: DeflateEngine = zlibEngineOn(zlib)
