// The peers under test: ws-toolkit's echo examples and client, on each compression engine for
// the compression sections, and the npm package ws; and ws-toolkit's h2c server and client
// agents, the same cases over HTTP/2.
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

// Over HTTP/2 (RFC 8441; `pnpm conformance --http2`): the same cases, each on an extended
// CONNECT stream of one h2c session (http2.ts). ws has no WebSockets over HTTP/2.

/** Our h2c server without compression, src/agents/toolkit-h2-server.ts: every section but 12 and 13. */
export const toolkitH2Server: Agent = { peer: 'ws-toolkit (h2)', role: 'server', ours: true, transport: 'http2', program: [tsx, `${agents}/toolkit-h2-server.ts`], takes: uncompressed }

/** Our h2c server on `engine`: sections 12 and 13. */
export function toolkitH2ServerOn(engine: DeflateEngine): Agent {
  return { peer: `ws-toolkit (h2, ${engine.name})`, role: 'server', ours: true, transport: 'http2', engine, program: [tsx, `${agents}/toolkit-h2-server.ts`, '--engine', engine.name], takes: compressed }
}

/** Our client over HTTP/2 with its default engine: every section but 12 and 13. */
export const toolkitH2Client: Agent = { peer: 'ws-toolkit (h2)', role: 'client', ours: true, transport: 'http2', program: [tsx, `${agents}/toolkit-h2-client.ts`], takes: uncompressed }

/** Our client over HTTP/2 on `engine`: sections 12 and 13. */
export function toolkitH2ClientOn(engine: DeflateEngine): Agent {
  return { peer: `ws-toolkit (h2, ${engine.name})`, role: 'client', ours: true, transport: 'http2', engine, program: [tsx, `${agents}/toolkit-h2-client.ts`, '--engine', engine.name], takes: compressed }
}

/** Every agent over HTTP/2, servers then clients. */
export const http2Agents: Agent[] = [toolkitH2Server, ...engines.map(toolkitH2ServerOn), toolkitH2Client, ...engines.map(toolkitH2ClientOn)]

/** A program of this package, run by tsx. */
export function packageProgram(path: string): Program {
  return [tsx, `packages/conformance/${path}`]
}
