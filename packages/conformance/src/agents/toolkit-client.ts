// Our client under test: an echo client on ws-util's event-loop path (dial, a DataReader for
// whole messages, a BatchWriter for the answers) with permessage-deflate on the engine named
// by --engine: fflate when none is given (it offers no client_max_window_bits, since it cannot
// limit its window), or zlib (it keeps to any window the server asks for). It walks a fuzzing server's cases
// the way Autobahn|Testsuite's clients do: /getCaseCount, then /runCase for each, echoing
// every message until the server closes, then /updateReports.
//
//   pnpm exec tsx src/agents/toolkit-client.ts [--engine fflate|zlib] ws://127.0.0.1:9001 [agent-name]
import { parseArgs } from 'node:util'
import { deflateOffer } from '@ws-toolkit/ws-flate'
import { dial } from '@ws-toolkit/ws-util'
import { engineNamed } from '../engines.js'
import { echoConnection } from './client-echo.js'

const { values, positionals } = parseArgs({ options: { engine: { type: 'string', default: 'fflate' } }, allowPositionals: true })
const [base = 'ws://127.0.0.1:9001', agent = 'ws-toolkit'] = positionals
const engine = engineNamed(values.engine)
const offer = deflateOffer({ minWindowBits: engine.minWindowBits })

/** echo connects to `url` and echoes every message; it resolves when the connection ends, with the first text message. */
async function echo(url: string): Promise<string> {
  return echoConnection(await dial(url, { extensions: [offer], timeoutMs: 5000 }), offer, engine)
}

const name = encodeURIComponent(agent)
const count = Number(await echo(`${base}/getCaseCount`))
for (let n = 1; n <= count; n++) await echo(`${base}/runCase?case=${n}&agent=${name}`)
await echo(`${base}/updateReports?agent=${name}`)
