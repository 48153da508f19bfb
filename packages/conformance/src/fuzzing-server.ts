// The fuzzing server: a client under test connects to it once a case, as it would to
// Autobahn|Testsuite's fuzzingserver:
//   GET /getCaseCount                    the number of cases (a WebSocket sends it as a text
//                                        message; plain HTTP answers it as JSON)
//   GET /runCase?case=N&agent=NAME       runs case N (1-based) against the client
//   GET /updateReports?agent=NAME        the client is done (WebSocket or plain HTTP)
//   GET /getCaseInfo?case=N              the case, as JSON
//   GET /report?agent=NAME               the agent's results so far, as JSON
// Over HTTP/1.1 (node:http) a WebSocket is an upgrade; over HTTP/2 (an h2c server with
// SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441) it is an extended CONNECT stream, accepted with
// ws-util's acceptHttp2Stream, every case a stream and the plain requests streams too (see
// http2.ts for what a stream's END_STREAM and RST_STREAM stand for).
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createH2cServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { Upgrader } from '@ws-toolkit/ws-core'
import { type Accepted, acceptHttp2Stream, acceptHttpUpgrade } from '@ws-toolkit/ws-util'
import { acceptOffer, type DeflateAgreement, extensionName } from '@ws-toolkit/ws-flate'
import type { Case } from './case.js'
import { DeflateContext } from './deflate-context.js'
import { fuzzerMinWindowBits, play } from './fuzzing-client.js'
import type { Transport } from './http2.js'
import { caseResult, type CaseResult } from './result.js'
import { defaultTimeouts, type SessionTimeouts } from './observation.js'
import { Session } from './session.js'
import { judge } from './verdict.js'

/**
 * FuzzingServer runs `cases` against the clients that connect to it, keeping each agent's
 * results; over `transport` 'http2' it is an h2c server taking WebSockets over HTTP/2 only.
 */
export class FuzzingServer {
  private readonly server: Server | Http2Server
  private readonly results = new Map<string, CaseResult[]>()
  private readonly waiting = new Map<string, (results: CaseResult[]) => void>()
  private readonly h2Sessions = new Set<Http2Session>()
  /** How many HTTP/2 sessions clients opened (none over HTTP/1.1). */
  sessions = 0

  constructor(readonly cases: Case[], private readonly timeouts: SessionTimeouts = defaultTimeouts, private readonly onResult?: (agent: string, result: CaseResult) => void, readonly transport: Transport = 'http1') {
    if (transport === 'http2') {
      const server = createH2cServer({ settings: { enableConnectProtocol: true } })
      // Nagle off, as on the fuzzer's TCP connections: a frame written in pieces goes out in pieces.
      server.on('connection', (socket: Socket) => socket.setNoDelay(true))
      server.on('session', (session: Http2Session) => {
        this.sessions++
        this.h2Sessions.add(session)
        session.on('error', () => {})
        session.once('close', () => this.h2Sessions.delete(session))
      })
      server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
        stream.on('error', () => {})
        const target = route(headers[':path'])
        if (headers[':method'] !== 'CONNECT') {
          const { status, body } = this.answer(target.path, target.query)
          stream.respond({ ':status': status, 'content-type': 'application/json' })
          stream.end(JSON.stringify(body))
          return
        }
        // A body, and no reset of our own: Node 22.23's server drops a response still queued when
        // a reset follows it (an empty one is, at once). The client resets a refused stream.
        const refuse = () => {
          stream.respond({ ':status': 404, 'content-type': 'text/plain' })
          stream.end('no such case or endpoint')
        }
        this.upgrade(target, (upgrader) => acceptHttp2Stream(stream, rawHeaders, upgrader), refuse).catch((error: Error) => {
          stream.destroy()
          console.error(`fuzzing server: ${headers[':path']}: ${error.stack}`)
        })
      })
      this.server = server
      return
    }
    this.server = createServer((req, res) => {
      const { path, query } = route(req.url)
      const { status, body } = this.answer(path, query)
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    })
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => {})
      const refuse = () => socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
      this.upgrade(route(req.url), (upgrader) => acceptHttpUpgrade(req, socket, head, upgrader), refuse).catch((error: Error) => {
        socket.destroy()
        console.error(`fuzzing server: ${req.url}: ${error.stack}`)
      })
    })
  }

  /** answer is a plain HTTP request's status and JSON body. */
  private answer(path: string, query: URLSearchParams): { status: number; body: unknown } {
    if (path === '/getCaseCount') return { status: 200, body: this.cases.length }
    if (path === '/updateReports') return { status: 200, body: this.reported(query.get('agent')) }
    if (path === '/report') return { status: 200, body: this.resultsOf(query.get('agent') ?? '') }
    const testCase = path === '/getCaseInfo' ? this.caseAt(query.get('case')) : undefined
    if (testCase === undefined) return { status: 404, body: { error: 'no such case or endpoint' } }
    const { id, description, expectation, rfc } = testCase
    return { status: 200, body: { id, description, expectation, rfc } }
  }

  /** listen listens on 127.0.0.1 and resolves with the base URL, `ws://127.0.0.1:N`. */
  listen(port = 0): Promise<string> {
    return new Promise((resolve) => {
      this.server.listen(port, '127.0.0.1', () => {
        const address = this.server.address()
        resolve(`ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : port}`)
      })
    })
  }

  close(): Promise<void> {
    if ('closeAllConnections' in this.server) this.server.closeAllConnections()
    for (const session of this.h2Sessions) session.destroy()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  resultsOf(agent: string): CaseResult[] {
    return (this.results.get(agent) ?? []).filter((result) => result !== undefined)
  }

  /** finished resolves with the agent's results once it calls /updateReports. */
  finished(agent: string): Promise<CaseResult[]> {
    return new Promise((resolve) => this.waiting.set(agent, resolve))
  }

  private reported(agent: string | null): number {
    const results = this.resultsOf(agent ?? '')
    if (agent !== null) this.waiting.get(agent)?.(results)
    return results.length
  }

  private caseAt(n: string | null): Case | undefined {
    const index = Number(n)
    return Number.isInteger(index) && index >= 1 ? this.cases[index - 1] : undefined
  }

  /**
   * upgrade serves a WebSocket request for `path`: `accept` completes the opening handshake with
   * the upgrader (an upgrade or a stream; it throws once it has answered a refusal), `refuse`
   * answers 404 for a path that is not one.
   */
  private async upgrade({ path, query }: { path: string; query: URLSearchParams }, accept: (upgrader: Upgrader) => Accepted<Duplex>, refuse: () => void): Promise<void> {
    const testCase = path === '/runCase' ? this.caseAt(query.get('case')) : undefined
    if (path !== '/getCaseCount' && path !== '/updateReports' && testCase === undefined) return refuse()
    const options = testCase?.compression === undefined ? null : { ...testCase.compression.options, minWindowBits: fuzzerMinWindowBits }
    let agreement: DeflateAgreement | undefined
    const upgrader = new Upgrader({
      negotiate(offer) {
        if (options === null || agreement !== undefined || offer.name.toLowerCase() !== extensionName) return null
        const answer = acceptOffer(offer, options)
        agreement = answer?.agreement
        return answer?.response ?? null
      },
    })
    const started = performance.now()
    let accepted
    try {
      accepted = accept(upgrader)
    } catch {
      return // refused, and answered
    }
    const deflate = agreement === undefined ? null : new DeflateContext(agreement, 'server')
    const session = new Session(accepted.socket, accepted.head, 'server', deflate, this.timeouts)
    if (testCase === undefined) {
      // /getCaseCount or /updateReports: a message, or none, then a normal close.
      if (path === '/getCaseCount') await session.sendMessage(1, String(this.cases.length))
      else this.reported(query.get('agent'))
      session.close(1000)
      await session.finish([{ events: [], closedBy: 'fuzzer', codes: [1000] }])
      return
    }
    const agent = query.get('agent') ?? 'unnamed'
    let result: CaseResult
    if (options !== null && agreement === undefined) {
      session.close(1000)
      await session.finish([{ events: [], closedBy: 'fuzzer', codes: [1000] }])
      result = caseResult(testCase, {
        verdict: 'INFORMATIONAL', reason: 'the client made no permessage-deflate offer the case could accept with its parameters (RFC 7692 §5.1, §7.1.2.2 allow that): not tested',
      }, performance.now() - started)
    } else {
      const observed = await play(session, testCase)
      result = caseResult(testCase, judge(testCase, observed, 'server'), performance.now() - started, observed, agreement)
    }
    const results = this.results.get(agent) ?? []
    results[Number(query.get('case')) - 1] = result
    this.results.set(agent, results)
    this.onResult?.(agent, result)
  }
}

function route(target: string | undefined): { path: string; query: URLSearchParams } {
  const url = new URL(target ?? '/', 'http://fuzzing-server')
  return { path: url.pathname, query: url.searchParams }
}
