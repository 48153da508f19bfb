// The peers under test: ws-toolkit's echo examples and client, on each compression engine for
// the compression sections, and the npm package ws.
import type { DeflateEngine } from '@ws-toolkit/ws-flate'
import type { Case } from './case.js'
import { engines } from './engines.js'
import { type Program, tsx } from './processes.js'
import type { Run } from './report.js'
import type { PeerUnderTest } from './run.js'

const agents = 'packages/conformance/src/agents'

/** Agent is a peer under test as `pnpm conformance` runs it: in which role, on which cases, and whether it is ours. */
export interface Agent extends PeerUnderTest {
  role: Run['role']
  /** ws-toolkit's: any result that is not OK fails the run, but a decline its engine allows (see declines.ts). */
  ours: boolean
  /** The ws-flate engine it compresses with; none for a peer that is not tested on compression with one. */
  engine?: DeflateEngine
  /** Whether it is tested on `testCase`. */
  takes(testCase: Case): boolean
}

const compressed = (testCase: Case) => testCase.compression !== undefined
const uncompressed = (testCase: Case) => testCase.compression === undefined

/** Our server without compression, examples/echo.ts: every section but 12 and 13. */
export const toolkitServer: Agent = { peer: 'ws-toolkit', role: 'server', ours: true, program: [tsx, 'examples/echo.ts', '--port', '0'], takes: uncompressed }

/** Our server on `engine`, examples/deflate-echo.ts: sections 12 and 13. */
export function toolkitServerOn(engine: DeflateEngine): Agent {
  return { peer: `ws-toolkit (${engine.name})`, role: 'server', ours: true, engine, program: [tsx, 'examples/deflate-echo.ts', '--port', '0', '--engine', engine.name], takes: compressed }
}

/** Our client with its default engine: every section but 12 and 13. */
export const toolkitClient: Agent = { peer: 'ws-toolkit', role: 'client', ours: true, program: [tsx, `${agents}/toolkit-client.ts`], takes: uncompressed }

/** Our client on `engine`: sections 12 and 13. */
export function toolkitClientOn(engine: DeflateEngine): Agent {
  return { peer: `ws-toolkit (${engine.name})`, role: 'client', ours: true, engine, program: [tsx, `${agents}/toolkit-client.ts`, '--engine', engine.name], takes: compressed }
}

export const wsServer: Agent = { peer: 'ws', role: 'server', ours: false, program: [tsx, `${agents}/ws-server.ts`], takes: () => true }

export const wsClient: Agent = { peer: 'ws', role: 'client', ours: false, program: [tsx, `${agents}/ws-client.ts`], takes: () => true }

/** Every agent, in the order of the report: the servers, then the clients. */
export const allAgents: Agent[] = [toolkitServer, ...engines.map(toolkitServerOn), wsServer, toolkitClient, ...engines.map(toolkitClientOn), wsClient]

/** A program of this package, run by tsx. */
export function packageProgram(path: string): Program {
  return [tsx, `packages/conformance/${path}`]
}
