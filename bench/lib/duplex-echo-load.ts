// The load of http2.ts's echo part: the same client loop over upgraded WebSockets of either
// kind, a raw TCP socket after its 101 (HTTP/1.1) or a node:http2 client stream after its 200
// (RFC 8441), so that the two servers are offered exactly the same bytes in the same rhythm.
// Each connection sends one prebuilt masked frame `inFlight` times and one more as each reply
// is counted (ReplyCounter: headers read, payloads skipped), on connections kept open from the
// warm-up to the end of the measurement, as lib/echo-load.ts does for echo.ts.
import { connect as connectHttp2, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2'
import { connect } from 'node:net'
import type { Duplex } from 'node:stream'
import { ReplyCounter, upgradeRequest } from './load.js'

/** One WebSocket of a {@link DuplexEchoLoad}: its stream and what it has sent and had answered. */
interface Connection {
  stream: Duplex
  replies: ReplyCounter
  sent: number
  answered: number
  /** The answers this connection waits for in the current run; then `finished` is called. */
  target: number
  finished: (() => void) | null
}

/**
 * extendedConnect is the request of a WebSocket over HTTP/2 (RFC 8441 §4, §5) as Chromium sends
 * it, the same fields as handshake.ts's HTTP/1.1 request but those HTTP/2 has no use for (Host,
 * Connection, Upgrade, Sec-WebSocket-Key).
 */
export function extendedConnect(port: number, path: string): Record<string, string> {
  return {
    ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': path, ':authority': `127.0.0.1:${port}`,
    pragma: 'no-cache', 'cache-control': 'no-cache',
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
    origin: `http://127.0.0.1:${port}`, 'sec-websocket-version': '13', 'accept-encoding': 'gzip, deflate, br, zstd',
    'accept-language': 'en-US,en;q=0.9', 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
  }
}

/** Http2ClientOptions: the windows a client offers (none: node:http2's defaults, 65,535 bytes each). */
export interface Http2ClientOptions { streamWindow?: number; sessionWindow?: number }

/** openSession opens an h2c session to `port` and resolves once the server's SETTINGS came (extended CONNECT allowed). */
export async function openSession(port: number, options: Http2ClientOptions = {}): Promise<ClientHttp2Session> {
  // The session's socket made here, to set TCP_NODELAY as the HTTP/1.1 client does (node:http2
  // allows no socket calls on session.socket).
  const session = connectHttp2(`http://127.0.0.1:${port}`, {
    createConnection: () => connect(port, '127.0.0.1').setNoDelay(true),
    ...(options.streamWindow === undefined ? {} : { settings: { initialWindowSize: options.streamWindow } }),
  })
  session.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', (settings) => {
      if (settings.enableConnectProtocol !== true) reject(new Error('the server does not allow extended CONNECT'))
      else resolve()
    })
    session.once('error', reject)
  })
  if (options.sessionWindow !== undefined) session.setLocalWindowSize(options.sessionWindow)
  return session
}

/**
 * DuplexEchoLoad holds upgraded WebSockets to an echo server and has messages echoed on them,
 * run after run, `inFlight` outstanding on each, every message `frame`.
 */
export class DuplexEchoLoad {
  private readonly all: Connection[] = []
  private readonly batch: Buffer
  private readonly sessions: ClientHttp2Session[] = []

  private constructor(private readonly frame: Uint8Array, private readonly inFlight: number) {
    this.batch = Buffer.concat(Array.from({ length: inFlight }, () => frame))
  }

  /** http1 opens `connections` TCP connections, each upgraded by an HTTP/1.1 request and its 101. */
  static async http1(port: number, connections: number, inFlight: number, frame: Uint8Array): Promise<DuplexEchoLoad> {
    const load = new DuplexEchoLoad(frame, inFlight)
    await Promise.all(Array.from({ length: connections }, () => new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(upgradeRequest()))
      socket.setNoDelay(true)
      socket.on('error', reject)
      let head = Buffer.alloc(0)
      const onHead = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk])
        const end = head.indexOf('\r\n\r\n')
        if (end === -1) return
        if (head.toString('latin1', 0, 12) !== 'HTTP/1.1 101') return reject(new Error(head.toString('latin1')))
        socket.off('data', onHead)
        load.add(socket, head.subarray(end + 4))
        resolve()
      }
      socket.on('data', onHead)
    })))
    return load
  }

  /** http2 opens `sessions` h2c sessions and `streams` WebSockets on each, extended CONNECT streams answered 200. */
  static async http2(port: number, sessions: number, streams: number, inFlight: number, frame: Uint8Array, options: Http2ClientOptions = {}): Promise<DuplexEchoLoad> {
    const load = new DuplexEchoLoad(frame, inFlight)
    for (let s = 0; s < sessions; s++) {
      const session = await openSession(port, options)
      load.sessions.push(session)
      await Promise.all(Array.from({ length: streams }, (_, i) => new Promise<void>((resolve, reject) => {
        const stream = session.request(extendedConnect(port, `/echo/${s}/${i}`), { endStream: false })
        stream.on('error', reject)
        stream.once('response', (headers: IncomingHttpHeaders) => {
          if (Number(headers[':status']) !== 200) return reject(new Error(`status ${headers[':status']}`))
          load.add(stream, new Uint8Array(0))
          resolve()
        })
      })))
    }
    return load
  }

  /** run has `messages` echoed in all (split evenly over the connections) and resolves with the seconds it took. */
  async run(messages: number): Promise<number> {
    const perConnection = Math.ceil(messages / this.all.length)
    const start = process.hrtime.bigint()
    await Promise.all(this.all.map((c) => new Promise<void>((resolve) => {
      c.target = c.answered + perConnection
      c.finished = resolve
      this.send(c, Math.min(this.inFlight, perConnection))
    })))
    return Number(process.hrtime.bigint() - start) / 1e9
  }

  /** close ends every connection (a TCP reset, or the streams and their session destroyed). */
  close(): void {
    for (const c of this.all) c.stream.destroy()
    for (const session of this.sessions) session.destroy()
  }

  private add(stream: Duplex, rest: Uint8Array): void {
    const c: Connection = { stream, replies: new ReplyCounter(), sent: 0, answered: 0, target: 0, finished: null }
    this.all.push(c)
    stream.on('data', (chunk: Buffer) => this.answer(c, chunk))
    if (rest.length > 0) this.answer(c, rest)
  }

  private answer(c: Connection, chunk: Uint8Array): void {
    const done = c.replies.count(chunk)
    if (done === c.answered) return
    c.answered = done
    if (c.answered >= c.target) {
      const finished = c.finished
      c.finished = null
      finished?.()
      return
    }
    this.send(c, Math.min(c.answered + this.inFlight, c.target) - c.sent)
  }

  private send(c: Connection, count: number): void {
    if (count <= 0) return
    c.stream.write(this.batch.subarray(0, count * this.frame.length))
    c.sent += count
  }
}
