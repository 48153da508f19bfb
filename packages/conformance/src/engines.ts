// The permessage-deflate engines ws-flate ships: our server and client are tested on the
// compression sections (12, 13) once with each.
import { type DeflateEngine, fflateEngine } from '@ws-toolkit/ws-flate'
import { zlibEngine } from '@ws-toolkit/ws-flate/zlib'

/** engines: fflate (portable, compresses with a 15-bit window only) and node:zlib (any window from 9 bits, the default on Node.js). */
export const engines: DeflateEngine[] = [fflateEngine, zlibEngine]

/** engineNamed is the engine called `name` (`fflate` or `zlib`); it throws for any other name. */
export function engineNamed(name: string): DeflateEngine {
  const engine = engines.find((candidate) => candidate.name === name)
  if (engine === undefined) throw new TypeError(`unknown engine ${name}: ${engines.map((candidate) => candidate.name).join(' or ')}`)
  return engine
}
