// The peers under test: ws-toolkit's echo examples and client, and the npm package ws.
import { type Program, tsx } from './processes.js'
import type { ClientUnderTest, ServerUnderTest } from './run.js'

const agents = 'packages/conformance/src/agents'

/** Our server: examples/echo.ts, and examples/deflate-echo.ts on node:zlib (any window from 9 bits) for the compression sections. */
export const toolkitServer: ServerUnderTest = {
  peer: 'ws-toolkit',
  programs: [
    { sections: [12, 13], program: [tsx, 'examples/deflate-echo.ts', '--port', '0', '--engine', 'zlib'] },
    { sections: null, program: [tsx, 'examples/echo.ts', '--port', '0'] },
  ],
}

export const wsServer: ServerUnderTest = { peer: 'ws', programs: [{ sections: null, program: [tsx, `${agents}/ws-server.ts`] }] }

export const toolkitClient: ClientUnderTest = { peer: 'ws-toolkit', program: [tsx, `${agents}/toolkit-client.ts`] }

export const wsClient: ClientUnderTest = { peer: 'ws', program: [tsx, `${agents}/ws-client.ts`] }

/** A program of this package, run by tsx. */
export function packageProgram(path: string): Program {
  return [tsx, `packages/conformance/${path}`]
}
