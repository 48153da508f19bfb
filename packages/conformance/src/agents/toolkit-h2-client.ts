// Our client under test over HTTP/2 (RFC 8441): the echo client of toolkit-client.ts (DataReader,
// BatchWriter, permessage-deflate on the engine named by --engine, fflate by default), each
// WebSocket an extended CONNECT stream of one h2c session to the fuzzing server (ws-util's
// connectHttp2, then dialHttp2 a case), as a browser multiplexes its WebSockets to an origin.
// It walks the cases as toolkit-client.ts does: /getCaseCount, /runCase for each, /updateReports;
// then closes the session.
//
//   pnpm exec tsx src/agents/toolkit-h2-client.ts [--engine fflate|zlib] ws://127.0.0.1:9001 [agent-name]
import { parseArgs } from 'node:util'
import { deflateOffer } from '@ws-toolkit/ws-flate'
import { connectHttp2, dialHttp2 } from '@ws-toolkit/ws-util'
import { engineNamed } from '../engines.js'
import { echoConnection } from './client-echo.js'

const { values, positionals } = parseArgs({ options: { engine: { type: 'string', default: 'fflate' } }, allowPositionals: true })
const [base = 'ws://127.0.0.1:9001', agent = 'ws-toolkit (h2)'] = positionals
const engine = engineNamed(values.engine)
const offer = deflateOffer({ minWindowBits: engine.minWindowBits })
const session = await connectHttp2(base, { timeoutMs: 5000 })
session.on('error', (error) => console.error(`toolkit-h2-client: the session failed: ${error.message}`))

/** echo opens `url` as a stream of the session and echoes every message; it resolves when the stream closes, with the first text message. */
async function echo(url: string): Promise<string> {
  return echoConnection(await dialHttp2(session, url, { extensions: [offer], timeoutMs: 5000 }), offer, engine)
}

const name = encodeURIComponent(agent)
const count = Number(await echo(`${base}/getCaseCount`))
for (let n = 1; n <= count; n++) await echo(`${base}/runCase?case=${n}&agent=${name}`)
await echo(`${base}/updateReports?agent=${name}`)
session.close()
