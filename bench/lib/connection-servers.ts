// The servers the scale benchmark measures, and how each starts in its own process: the floor
// (node:net holding sockets, no WebSocket), the examples echo.ts and deflate-echo.ts as they
// ship (deflate-echo.ts with each engine, with and without context takeover), the same deflate
// echo at threshold 0 (deflate-echo-threshold.ts), deflate-echo.ts with --release-after, and ws's WebSocketServer (bufferutil
// loaded, as bench runs it) plain and with perMessageDeflate at the same settings.
import { once } from 'node:events'
import { serveFloorEcho } from './floor-server.js'
import { WebSocketServer } from 'ws'
import { serveDeflateEcho } from './deflate-echo-threshold.js'
import { serveExample } from './server-process.js'

/** ServerSpec is one server to measure: `key` on the command line, `label` in the tables, `versus` the key of ws at the same settings. */
export interface ServerSpec {
  key: string
  label: string
  family: 'floor' | 'echo' | 'ws' | 'deflate' | 'ws-deflate'
  engine?: 'zlib' | 'fflate'
  takeover: boolean
  /** 'default' is each library's own: ours 128 B (ws-flate's defaultThreshold), ws's 1024 B. */
  threshold: 'default' | 0
  /** deflate-echo.ts's --release-after: an idle connection's engines released after this many ms. */
  releaseAfter?: number
  versus: string | null
}

/** deflateSpecs lists the compressed servers at one threshold: each engine and ws, with and without context takeover. */
function deflateSpecs(threshold: 'default' | 0): ServerSpec[] {
  const specs: ServerSpec[] = []
  const t = threshold === 0 ? '-t0' : ''
  for (const takeover of [true, false]) {
    const nct = takeover ? '' : '-nct'
    const how = `${takeover ? 'takeover' : 'no takeover'}, ${threshold === 0 ? 'threshold 0' : 'default threshold'}`
    const ws = `ws-deflate${nct}${t}`
    for (const engine of ['zlib', 'fflate'] as const) {
      specs.push({ key: `deflate-${engine}${nct}${t}`, label: `deflate-echo.ts ${engine} (${how})`, family: 'deflate', engine, takeover, threshold, versus: ws })
    }
    specs.push({ key: ws, label: `ws perMessageDeflate (${how})`, family: 'ws-deflate', takeover, threshold, versus: null })
  }
  return specs
}

/** serverSpecs is every server, in the order they run. */
export const serverSpecs: ServerSpec[] = [
  { key: 'floor', label: 'floor (node:net, no WebSocket)', family: 'floor', takeover: false, threshold: 'default', versus: null },
  { key: 'echo', label: 'echo.ts (ws-util)', family: 'echo', takeover: false, threshold: 'default', versus: 'ws' },
  { key: 'ws', label: 'ws WebSocketServer', family: 'ws', takeover: false, threshold: 'default', versus: null },
  ...deflateSpecs('default'),
  ...deflateSpecs(0),
  // Context takeover with idle engines released (--release-after 2000): released before the
  // idle phase after the echo is measured (it waits 2 × 2 s + 0.5 s for these), never between
  // messages at 1 message/s.
  ...(['zlib', 'fflate'] as const).map((engine): ServerSpec => ({
    key: `deflate-${engine}-release`, label: `deflate-echo.ts ${engine} (takeover, default threshold, --release-after 2000)`, family: 'deflate', engine, takeover: true, threshold: 'default', releaseAfter: 2000, versus: 'ws-deflate',
  })),
]

/**
 * serveSpec starts `spec`'s server in this process on 127.0.0.1 (a free port) and resolves with
 * its port. The floor answers any request with a canned 101, then writes every chunk back as
 * it came and ends when the peer ends: what node:net costs per connection, no WebSocket.
 */
export async function serveSpec(spec: ServerSpec): Promise<number> {
  switch (spec.family) {
    case 'floor':
      return serveFloorEcho()
    case 'echo':
      return serveExample('echo.ts', [])
    case 'deflate':
      if (spec.threshold === 0) return serveDeflateEcho({ engine: spec.engine!, noContextTakeover: !spec.takeover, threshold: 0 })
      return serveExample('deflate-echo.ts', ['--engine', spec.engine!, ...(spec.takeover ? [] : ['--no-context-takeover']), ...(spec.releaseAfter === undefined ? [] : ['--release-after', String(spec.releaseAfter)])])
    case 'ws':
    case 'ws-deflate': {
      const perMessageDeflate = spec.family === 'ws' ? false : {
        serverNoContextTakeover: !spec.takeover, clientNoContextTakeover: !spec.takeover, zlibDeflateOptions: { level: 6 },
        ...(spec.threshold === 0 ? { threshold: 0 } : {}),
      }
      const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate })
      server.on('connection', (ws) => {
        ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }))
        ws.on('error', () => {})
      })
      await once(server, 'listening')
      return (server.address() as { port: number }).port
    }
  }
}
