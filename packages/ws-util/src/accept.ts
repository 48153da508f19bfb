import type { Duplex } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { type Extension, type HandshakeRejection, newRequestTarget, readRequestTarget, type Upgrader, type UpgradeResult } from '@ws-toolkit/ws-core'
import { admitConnection, type AdmissionOptions, type Admit } from './admission.js'
import { collectHead, defaultHandshakeTimeoutMs, destroyOnError, endRefused, type HandshakeOptions } from './read-head.js'

/**
 * RequestOptions asks the handshake helpers to keep what the request said on
 * {@link Accepted.request}. Nothing is kept, and nothing costs, unless one of them is set: the
 * Upgrader's zero-copy callbacks (`onRequest`, `onHeader`…) stay the way to judge a request
 * before the 101 is written (RFC 6455 §4.2.1); this is for what happens after it (routing a
 * connection to its handler, knowing who is on the other end).
 */
export interface RequestOptions {
  /**
   * keepRequest: fill {@link Accepted.request} with the path, query and remote address (copies,
   * strings; RFC 9112 §3.2). Implied by a non-empty `keepHeaders`. Default false: `request` is null.
   */
  keepRequest?: boolean | undefined
  /**
   * keepHeaders names the request header fields to keep on {@link AcceptedRequest.headers}
   * (e.g. `['cookie', 'authorization', 'x-forwarded-for']`), in any case; each must be an HTTP
   * token (RFC 9110 §5.1), or the call throws a TypeError before touching the socket. Any field
   * may be named, the handshake's own included (`host`, `sec-websocket-protocol`). The array is
   * read once and its lower-cased form cached (per array, in a WeakMap): pass the same array
   * to every call.
   */
  keepHeaders?: readonly string[] | undefined
}

/**
 * AcceptOptions is {@link acceptSocket}'s: the handshake's bounds, what to keep of the request,
 * and an optional asynchronous admission check before the 101 ({@link AdmissionOptions}; it
 * implies `keepRequest`).
 */
export interface AcceptOptions extends HandshakeOptions, RequestOptions, AdmissionOptions {}

/**
 * HttpAdmissionOptions is {@link admitHttpUpgrade}'s: the admission hook (required), what to
 * keep of the request, and the bounds of the wait: `timeoutMs` (default 10 s, counted from the
 * call) and `signal` end an admission that has not settled.
 */
export interface HttpAdmissionOptions extends HandshakeOptions, RequestOptions, AdmissionOptions {
  /** admit is the hook that decides, before the 101 is written ({@link Admit}). */
  admit: Admit
}

/**
 * AcceptedRequest is what the handshake's request said, kept on request
 * ({@link RequestOptions}): strings, copies, owned by the caller, holding none of the request's
 * bytes.
 */
export interface AcceptedRequest {
  /**
   * path is the request-target's path, not percent-decoded (RFC 3986 §2.1): `/chat` for
   * `/chat?room=1` (origin-form, RFC 9112 §3.2.1) and for `http://host:8080/chat?room=1`
   * (absolute-form, §3.2.2), `/` for `http://host`. It is null for a target that is neither
   * (`*`, `host:port`, another scheme), which an Upgrader lets through unless its `onRequest`
   * refuses it: refuse it there with ws-core's `requestPath`, before the 101 is written.
   */
  path: string | null
  /**
   * query is the request-target's query, what follows the first `?`, not decoded (RFC 3986
   * §3.4): `room=1` for `/chat?room=1`, `''` for `/chat?`, null when there is no `?` (or
   * `path` is null). Parse it with `new URLSearchParams(query ?? '')`.
   */
  query: string | null
  /** remoteAddress is the peer's IP address as the socket reports it (`net.Socket.remoteAddress`), or null for a Duplex that has none or a socket already closed. */
  remoteAddress: string | null
  /** remotePort is the peer's TCP port (`net.Socket.remotePort`), or null as `remoteAddress`. */
  remotePort: number | null
  /**
   * headers holds each field named in {@link RequestOptions.keepHeaders} that the request
   * carried, under its lower-cased name (an object with no prototype; a field not asked for is
   * never here, one asked for but absent is undefined). Values are decoded as latin1 (RFC 9110
   * §5.5: field values are octets) with the surrounding whitespace removed, at accept time:
   * a one-byte string costs what the bytes would, and holds no reference to the request's
   * buffer, so keeping a value keeps nothing else alive. A field sent more than once is one
   * value, its lines joined in order with `, ` (RFC 9110 §5.3), or with `; ` for `cookie`
   * (RFC 9113 §8.2.3, RFC 6265 §5.4). A singleton field sent twice (`authorization`) thus reads
   * `a, b`, which a check comparing the whole value refuses: no copy is silently preferred.
   * A value is at most what the request head may hold: the Upgrader's limits
   * (`defaultHeadLimits`: 16 KiB, 8 KiB a line) and, for `node:http`, its `maxHeaderSize`.
   */
  headers: Readonly<Record<string, string | undefined>>
}

/**
 * Accepted is an open WebSocket connection after the server's handshake (RFC 6455 §4.2.2):
 * the socket, the chosen subprotocol and extensions, and `head`, the bytes the client sent
 * right behind its request (its first frames), a view that is yours to process before anything
 * the socket reads next. The socket is paused, and its only listener of ours is
 * {@link destroyOnError}: attach your handlers (and your own `'error'` listener), then resume it.
 */
export interface Accepted<S extends Duplex = Duplex> {
  /** socket is the connection's socket, paused, yours from now on. */
  socket: S
  /** protocol is the subprotocol chosen, or null for none (RFC 6455 §4.2.2). */
  protocol: string | null
  /** extensions are the extensions accepted, in the client's order (RFC 6455 §9.1). */
  extensions: Extension[]
  /** head is the bytes the client sent behind its request (its first frames): a view, yours, to process first. */
  head: Uint8Array
  /**
   * request is what the request said (path, query, remote address, chosen headers; RFC 9112
   * §3.2, RFC 9110 §5), yours, when {@link RequestOptions} asked for it or an admission hook
   * ran; otherwise null.
   */
  request: AcceptedRequest | null
}

/**
 * acceptSocket performs the server's opening handshake on a raw socket (a `net.Socket` from a
 * `net.Server`, a `tls.TLSSocket`, any Duplex): it reads until `upgrader` has a complete
 * request, a broken limit, the timeout or the abort signal, writes the response, and resolves
 * with the connection. A refused request is answered with its HTTP error and the socket closed
 * ({@link endRefused}); the promise rejects with the {@link HandshakeRejection}. With
 * {@link RequestOptions} the connection carries its request ({@link Accepted.request}), read
 * from the accepted head before the 101 is written; a name in `keepHeaders` that is not a
 * token throws a TypeError from this call, the socket untouched. With an `admit` hook
 * ({@link AdmissionOptions}) the 101 waits for it; the deadline and the signal cover it too.
 */
export function acceptSocket<S extends Duplex>(socket: S, upgrader: Upgrader, options: AcceptOptions = {}): Promise<Accepted<S>> {
  const admit = options.admit
  const kept = keptNames(options) ?? (admit === undefined ? null : noHeaders)
  const started = admit === undefined ? 0 : performance.now()
  return new Promise((resolve, reject) => {
    // The response is written in the data event that completes the request: one promise per
    // handshake, this one, and no microtask before the 101 goes out.
    collectHead(socket, (bytes) => {
      const result = upgrader.upgrade(bytes, 0)
      return result.kind === 'incomplete' ? null : result
    }, options, (result, bytes) => {
      if (result.kind === 'rejected') {
        endRefused(socket, result.response)
        reject(result.error)
        return
      }
      const request = kept === null ? null : readRequest(socket, bytes, result.end, kept)
      const accepted = { socket, protocol: result.protocol, extensions: result.extensions, head: bytes.subarray(result.end), request }
      if (admit !== undefined) {
        const timeoutMs = options.timeoutMs ?? defaultHandshakeTimeoutMs
        const pending = { accepted, request: request!, response: result.response, received: result.end, timeoutMs, deadlineMs: timeoutMs - (performance.now() - started) }
        admitConnection(pending, admit, options, resolve, reject)
        return
      }
      socket.write(result.response)
      resolve(accepted)
    }, reject)
  })
}

/**
 * acceptHttpUpgrade completes the handshake for `node:http`'s `upgrade` event
 * (`server.on('upgrade', (req, socket, head) => …)`). Node has already parsed the request, so
 * its head is rebuilt from `req.rawHeaders` (a copy; the raw bytes are gone) and judged by
 * `upgrader` with every rule and callback of {@link Upgrader.upgrade}. `head` is Node's: the
 * bytes the client sent after its request, returned as the connection's `head`. A refused
 * request is answered, the socket closed ({@link endRefused}), and the
 * {@link HandshakeRejection} thrown; any other error from the upgrader's callbacks destroys
 * the socket and is rethrown. The socket is handed over as {@link acceptSocket} does.
 * `options` asks for {@link Accepted.request}: its path and query are read from `req.url`,
 * its headers from `req.rawHeaders` (as sent, repeats included; not Node's `req.headers`,
 * which keeps only the first of a repeated `authorization`), so both helpers keep the same
 * values. A name in `keepHeaders` that is not a token throws a TypeError, the socket untouched.
 */
export function acceptHttpUpgrade<S extends Duplex>(req: IncomingMessage, socket: S, head: Uint8Array, upgrader: Upgrader, options: RequestOptions = {}): Accepted<S> {
  const kept = keptNames(options)
  const result = judgeHttpUpgrade(req, socket, upgrader)
  const request = kept === null ? null : readHttpRequest(socket, req, kept)
  socket.write(result.response)
  return { socket, protocol: result.protocol, extensions: result.extensions, head, request }
}

/**
 * admitHttpUpgrade is {@link acceptHttpUpgrade} with an asynchronous admission check
 * ({@link AdmissionOptions}): the Upgrader judges the request at once (a refusal is answered
 * and the promise rejects with it), then `options.admit` decides before the 101 is written.
 * Until it settles the socket is held as {@link acceptSocket} holds it, its early bytes kept
 * (Node's `head` first); `timeoutMs` (default 10 s, from this call) and `signal` bound the
 * wait. The promise resolves with the connection, its `request` filled; a name in
 * `keepHeaders` that is not a token throws a TypeError from this call, the socket untouched.
 */
export function admitHttpUpgrade<S extends Duplex>(req: IncomingMessage, socket: S, head: Uint8Array, upgrader: Upgrader, options: HttpAdmissionOptions): Promise<Accepted<S>> {
  const kept = keptNames(options) ?? noHeaders
  return new Promise((resolve, reject) => {
    const result = judgeHttpUpgrade(req, socket, upgrader)
    const request = readHttpRequest(socket, req, kept)
    const timeoutMs = options.timeoutMs ?? defaultHandshakeTimeoutMs
    const accepted = { socket, protocol: result.protocol, extensions: result.extensions, head, request }
    // Node has read the request (its length is not known here): `received` counts what came behind it.
    const pending = { accepted, request, response: result.response, received: 0, timeoutMs, deadlineMs: timeoutMs }
    admitConnection(pending, options.admit, options, resolve, reject)
  })
}

/**
 * judgeHttpUpgrade rebuilds the head of a request `node:http` parsed and has `upgrader` judge
 * it, the socket paused with {@link destroyOnError} on it: it returns the accepted result, or
 * answers a refusal and throws its HandshakeRejection, or destroys the socket and rethrows
 * an error from the upgrader's callbacks.
 */
function judgeHttpUpgrade(req: IncomingMessage, socket: Duplex, upgrader: Upgrader): Extract<UpgradeResult, { kind: 'accepted' }> {
  let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`
  socket.on('error', destroyOnError)
  socket.pause()
  let result: Exclude<UpgradeResult, { kind: 'incomplete' }>
  try {
    // A rebuilt head ends in its empty line: the upgrader always decides.
    result = upgrader.upgrade(Buffer.from(`${text}\r\n`, 'latin1'), 0) as Exclude<UpgradeResult, { kind: 'incomplete' }>
  } catch (error) {
    socket.destroy()
    throw error
  }
  if (result.kind === 'rejected') {
    endRefused(socket, result.response)
    throw result.error
  }
  return result
}

/** noHeaders is the lower-cased names of an empty `keepHeaders`. */
const noHeaders: readonly string[] = []

/** keptNamesCache maps a `keepHeaders` array to its checked, lower-cased names. */
const keptNamesCache = new WeakMap<readonly string[], readonly string[]>()

/**
 * keptNames returns the lower-cased header names `options` keeps, or null when it keeps no
 * request at all; it throws a TypeError for a name that is not a token (RFC 9110 §5.1).
 */
export function keptNames(options: RequestOptions): readonly string[] | null {
  const names = options.keepHeaders
  if (names === undefined || names.length === 0) return options.keepRequest === true ? noHeaders : null
  let lower = keptNamesCache.get(names)
  if (lower === undefined) {
    lower = names.map((name) => {
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new TypeError(`keepHeaders: ${JSON.stringify(name)} is not a header name`)
      return name.toLowerCase()
    })
    keptNamesCache.set(names, lower)
  }
  return lower
}

/** target is readRequest's RequestTarget: filled and read within one synchronous call. */
const target = newRequestTarget()

/**
 * readRequest builds the {@link AcceptedRequest} of the head `bytes[0..end)`, which the
 * Upgrader has accepted (so its lines are well-formed): the target from the request line,
 * then one pass over the header lines for the `kept` names, only when there are any.
 */
function readRequest(socket: Duplex, bytes: Uint8Array, end: number, kept: readonly string[]): AcceptedRequest {
  const request = newRequest(socket)
  // `GET ` then the target, then ` HTTP/1.1\r\n` (the Upgrader checked the line).
  const targetEnd = bytes.indexOf(0x20, 4)
  readPathAndQuery(request, bytes, 4, targetEnd)
  if (kept.length === 0) return request
  // Each value is decoded from the bytes on its own (not sliced from a string of the whole
  // head, which V8 would keep alive behind the slice).
  for (let line = bytes.indexOf(0x0a, targetEnd) + 1; line < end - 2;) {
    const cr = bytes.indexOf(0x0d, line)
    const colon = bytes.indexOf(0x3a, line)
    const name = keptName(kept, bytes, line, colon)
    if (name !== null) {
      let valueStart = colon + 1
      let valueEnd = cr
      while (valueStart < valueEnd && (bytes[valueStart] === 0x20 || bytes[valueStart] === 0x09)) valueStart++
      while (valueEnd > valueStart && (bytes[valueEnd - 1] === 0x20 || bytes[valueEnd - 1] === 0x09)) valueEnd--
      keepValue(request, name, latin1(bytes, valueStart, valueEnd))
    }
    line = cr + 2
  }
  return request
}

/** keptName returns the name in `kept` that `bytes[start..end)` is, in any case, or null. */
function keptName(kept: readonly string[], bytes: Uint8Array, start: number, end: number): string | null {
  search: for (const name of kept) {
    if (name.length !== end - start) continue
    for (let i = 0; i < name.length; i++) {
      const c = bytes[start + i]
      if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== name.charCodeAt(i)) continue search
    }
    return name
  }
  return null
}

/** readHttpRequest is {@link readRequest} for a request `node:http` has parsed. */
function readHttpRequest(socket: Duplex, req: IncomingMessage, kept: readonly string[]): AcceptedRequest {
  return readParsedRequest(socket, req.url as string, req.rawHeaders, kept) // node:http's server sets url on every request
}

/**
 * readParsedRequest is {@link readRequest} for a request a parser has read already
 * (`node:http`, `node:http2`): the request-target `url` and the fields `raw`, names and values
 * in turn as sent; `peer` is the socket whose remote address the request came from.
 */
export function readParsedRequest(peer: Duplex, url: string, raw: readonly string[], kept: readonly string[]): AcceptedRequest {
  const request = newRequest(peer)
  const bytes = Buffer.from(url, 'latin1')
  readPathAndQuery(request, bytes, 0, bytes.length)
  for (let i = 0; kept.length > 0 && i < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    if (kept.includes(name)) keepValue(request, name, raw[i + 1])
  }
  return request
}

/** newRequest returns an {@link AcceptedRequest} with the socket's remote address and nothing else yet. */
function newRequest(socket: Duplex): AcceptedRequest {
  const peer = socket as Duplex & { remoteAddress?: string | undefined; remotePort?: number | undefined }
  return {
    path: null,
    query: null,
    remoteAddress: peer.remoteAddress ?? null,
    remotePort: peer.remotePort ?? null,
    headers: Object.create(null) as Record<string, string | undefined>,
  }
}

/** readPathAndQuery sets `request`'s path and query from the request-target `bytes[start..end)` (RFC 9112 §3.2). */
function readPathAndQuery(request: AcceptedRequest, bytes: Uint8Array, start: number, end: number): void {
  if (!readRequestTarget(bytes, start, end, target)) return
  request.path = target.pathStart === target.pathEnd ? '/' : latin1(bytes, target.pathStart, target.pathEnd)
  request.query = target.queryStart === -1 ? null : latin1(bytes, target.queryStart, target.queryEnd)
}

/** keepValue adds `value` to `request.headers[name]`, after any earlier line of that field (RFC 9110 §5.3). */
function keepValue(request: AcceptedRequest, name: string, value: string): void {
  const headers = request.headers as Record<string, string | undefined>
  const previous = headers[name]
  headers[name] = previous === undefined ? value : `${previous}${name === 'cookie' ? '; ' : ', '}${value}`
}

/** latin1 decodes `bytes[start..end)` one byte a character (a copy). */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1')
}
