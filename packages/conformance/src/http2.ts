// WebSockets over HTTP/2 (RFC 8441) for the fuzzer: the cases run on extended CONNECT streams
// of one h2c session instead of TCP connections, both ways. After the handshake a stream is a
// Duplex of ordinary RFC 6455 frames, so Session plays and judges a case on it unchanged; what
// it records as the end of "TCP" is the end of the stream:
//
//   TCP                                   HTTP/2 stream
//   FIN (the socket's 'end')              END_STREAM (the stream's 'end')
//   reset, error ('error', 'close')       RST_STREAM, or the session gone (the stream's 'error', 'close')
//   end() (the fuzzer closes, §7.1.1)     end(): END_STREAM
//   destroy() (the fuzzer gives up)       destroy(): RST_STREAM (CANCEL)
//
// So "the server closed TCP after the closing handshake" (§5.5.1, §7.1.1) reads, over HTTP/2, as
// "the server ended or reset its stream": the orderly close RFC 8441 §5 gives END_STREAM.
//
// One session carries every case of a run, as a browser multiplexes its WebSockets over one
// connection to an origin: each case's stream must open, carry its frames and close on its own
// without disturbing the session, which a session per case would not test. A session that is
// gone (the peer under test tore it down) is opened again for the next case, and counted.
import { type ClientHttp2Session, connect } from 'node:http2'
import { connect as netConnect } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Extension } from '@ws-toolkit/ws-core'
import { type Dialed, dial, dialHttp2 } from '@ws-toolkit/ws-util'

/** Transport is what a case's WebSocket runs on: an HTTP/1.1 upgrade of a TCP connection, or an extended CONNECT stream of an h2c session. */
export type Transport = 'http1' | 'http2'

/** DialOptions are what the fuzzing client asks of each opening handshake. */
export interface DialOptions {
  extensions: Extension[]
  timeoutMs: number
}

/** Dialer opens one case's WebSocket; `close()` lets go of what it keeps between cases. */
export interface Dialer {
  dial(url: string, options: DialOptions): Promise<Dialed<Duplex>>
  close(): void
  /** How many HTTP/2 sessions it opened (none over HTTP/1.1). */
  readonly sessions: number
}

/** tcpDialer dials each case on a TCP connection of its own (ws-util's dial). */
export function tcpDialer(): Dialer {
  return { dial: (url, options) => dial(url, options), close() {}, sessions: 0 }
}

/**
 * Http2Dialer dials each case as a stream of one h2c session (prior knowledge, RFC 9113 §3.3)
 * to the server under test: the session is node:http2's, on a TCP connection with Nagle off as
 * the fuzzer's TCP connections have it (a case that writes a frame in pieces must not wait on
 * delayed ACKs); the handshake on it is ws-util's dialHttp2, as dial is over HTTP/1.1.
 */
export class Http2Dialer implements Dialer {
  private session: ClientHttp2Session | null = null
  sessions = 0

  async dial(url: string, options: DialOptions): Promise<Dialed<Duplex>> {
    return dialHttp2(this.open(url), url, options)
  }

  /** open is the session, opened (again) when there is none or it is gone. */
  private open(url: string): ClientHttp2Session {
    if (this.session !== null && !this.session.closed && !this.session.destroyed) return this.session
    const { hostname, port } = new URL(url)
    const session = connect(`http://${hostname}:${port}`, { createConnection: () => netConnect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port), noDelay: true }) })
    // The session's failure reaches each stream on it, where the case sees it: nothing to do here.
    session.on('error', () => {})
    this.session = session
    this.sessions++
    return session
  }

  close(): void {
    this.session?.destroy()
    this.session = null
  }
}

/** dialerFor is the fuzzing client's dialer for `transport`. */
export function dialerFor(transport: Transport): Dialer {
  return transport === 'http2' ? new Http2Dialer() : tcpDialer()
}
