// The fuzzing server: a client under test connects to it once a case, as it would to
// Autobahn|Testsuite's fuzzingserver:
//   GET /getCaseCount                    the number of cases (a WebSocket sends it as a text
//                                        message; plain HTTP answers it as JSON)
//   GET /runCase?case=N&agent=NAME       runs case N (1-based) against the client
//   GET /updateReports?agent=NAME        the client is done (WebSocket or plain HTTP)
//   GET /getCaseInfo?case=N              the case, as JSON
//   GET /report?agent=NAME               the agent's results so far, as JSON
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttpUpgrade } from '@ws-toolkit/ws-util'
import { acceptOffer, type DeflateAgreement, extensionName } from '@ws-toolkit/ws-flate'
import type { Case } from './case.js'
import { DeflateContext } from './deflate-context.js'
import { fuzzerMinWindowBits, play } from './fuzzing-client.js'
import { caseResult, type CaseResult } from './result.js'
import { defaultTimeouts, type SessionTimeouts } from './observation.js'
import { Session } from './session.js'
import { judge } from './verdict.js'

/** FuzzingServer runs `cases` against the clients that connect to it, keeping each agent's results. */
export class FuzzingServer {
  private readonly server: Server
  private readonly results = new Map<string, CaseResult[]>()
  private readonly waiting = new Map<string, (results: CaseResult[]) => void>()

  constructor(readonly cases: Case[], private readonly timeouts: SessionTimeouts = defaultTimeouts, private readonly onResult?: (agent: string, result: CaseResult) => void) {
    this.server = createServer((req, res) => {
      const { path, query } = route(req)
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      if (path === '/getCaseCount') return send(200, this.cases.length)
      if (path === '/updateReports') return send(200, this.reported(query.get('agent')))
      if (path === '/report') return send(200, this.resultsOf(query.get('agent') ?? ''))
      const testCase = path === '/getCaseInfo' ? this.caseAt(query.get('case')) : undefined
      if (testCase === undefined) return send(404, { error: 'no such case or endpoint' })
      const { id, description, expectation, rfc } = testCase
      return send(200, { id, description, expectation, rfc })
    })
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => {})
      this.upgrade(req, socket, head).catch((error: Error) => {
        socket.destroy()
        console.error(`fuzzing server: ${req.url}: ${error.stack}`)
      })
    })
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
    this.server.closeAllConnections()
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

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { path, query } = route(req)
    const testCase = path === '/runCase' ? this.caseAt(query.get('case')) : undefined
    if (path !== '/getCaseCount' && path !== '/updateReports' && testCase === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
      return
    }
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
      accepted = acceptHttpUpgrade(req, socket, head, upgrader)
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

function route(req: IncomingMessage): { path: string; query: URLSearchParams } {
  const url = new URL(req.url ?? '/', 'http://fuzzing-server')
  return { path: url.pathname, query: url.searchParams }
}
