// One connection as the fuzzer sees it: the script's actions on the wire, and everything the
// peer does, judged frame by frame (masking, reserved bits, opcodes, fragmentation, UTF-8,
// close bodies, compression) and recorded in order until the TCP connection is gone.
import { setTimeout as delay } from 'node:timers/promises'
import type { Duplex } from 'node:stream'
import { OpCode } from '@ws-toolkit/ws-core'
import type { Event, Outcome, Role } from './case.js'
import type { DeflateContext } from './deflate-context.js'
import { bytesOf, closeFrame, encodeFrame, FrameParser, type FrameSpec, type ReceivedFrame } from './frame-codec.js'
import { type LoggedFrame, type Observation, type PeerClose, type SessionTimeouts, validCloseCode, validUtf8 } from './observation.js'

const { Continuation, Text, Binary, Close, Ping, Pong } = OpCode
const settleToken = 'settle'
/** The largest message the fuzzer takes from a peer (no case sends more than 16 MiB). */
const maxMessage = 64 << 20
/** The most events a case takes from a peer (the longest case expects 1000 messages). */
const maxEvents = 10_000
/** Frames kept in a case's log; the rest are counted. */
const maxLoggedFrames = 400

/**
 * Session is the fuzzer's end of one upgraded connection. Frames are masked when the fuzzer is
 * the client (RFC 6455 §5.3); the peer's frames must be masked exactly when it is the client.
 */
export class Session {
  readonly events: Event[] = []
  private readonly started = performance.now()
  private readonly parser = new FrameParser()
  private readonly frames: LoggedFrame[] = []
  private framesNotLogged = 0
  private readonly violations: string[] = []
  private readonly wakers = new Set<() => void>()
  private peerClose: PeerClose | null = null
  private closedFirst: 'peer' | 'fuzzer' | null = null
  private sentClose = false
  private settled = false
  private tcpClosedBy: 'peer' | 'fuzzer' | 'timeout' | null = null
  private tcpClosedAt = 0
  private closed = false
  /** The fuzzer failed the connection for the peer's breach. */
  private failing = false
  private syncs = 0
  /** The peer's message in progress: opcode, compressed, frames' payloads. */
  private partial: { opCode: number; compressed: boolean; pieces: Uint8Array[] } | null = null
  private partialBytes = 0
  /** The fuzzer is writing a frame in pieces: its own control frames wait in `held` until the frame is whole. */
  private chopping = false
  private held: FrameSpec[] = []

  constructor(private readonly socket: Duplex & { setNoDelay?(noDelay: boolean): unknown }, head: Uint8Array, readonly role: Role, private readonly deflate: DeflateContext | null, private readonly timeouts: SessionTimeouts) {
    socket.setNoDelay?.(true)
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('end', () => this.tcpGone('peer'))
    socket.on('drain', () => this.wake())
    socket.on('error', () => this.tcpGone('peer'))
    socket.on('close', () => {
      this.tcpGone('peer')
      this.closed = true
      this.wake()
    })
    if (head.length > 0) this.receive(head)
    socket.resume()
  }

  private now(): number {
    return Math.round(performance.now() - this.started)
  }

  private tcpGone(by: 'peer' | 'fuzzer' | 'timeout'): void {
    if (this.tcpClosedBy !== null) return
    this.tcpClosedBy = by
    this.tcpClosedAt = this.now()
    this.wake()
  }

  private wake(): void {
    for (const waker of this.wakers) waker()
  }

  /** until resolves true once `condition` holds, false after `ms` without it. */
  until(condition: () => boolean, ms: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true)
    return new Promise((resolve) => {
      const done = (result: boolean) => {
        clearTimeout(timer)
        this.wakers.delete(check)
        resolve(result)
      }
      const check = () => {
        if (condition()) done(true)
      }
      const timer = setTimeout(() => done(false), ms)
      this.wakers.add(check)
    })
  }

  private log(dir: 'sent' | 'received', opCode: number, fin: boolean, rsv: number, length: number): void {
    if (this.frames.length < maxLoggedFrames) this.frames.push({ at: this.now(), dir, opCode, fin, rsv, length })
    else this.framesNotLogged++
  }

  /** The peer has sent its close frame or the TCP connection is gone: nothing more will come. */
  private get ended(): boolean {
    return this.peerClose !== null || this.tcpClosedBy !== null
  }

  /** The case is over for the script: the connection ended, or the peer broke the protocol. */
  get over(): boolean {
    return this.ended || this.failing
  }

  /** How many data messages the peer has sent. */
  messages = 0

  /** record keeps a peer's event; a peer that floods the fuzzer with more than any case expects has broken it. */
  private record(event: Event): void {
    if (this.events.length >= maxEvents) return this.violation(`more than ${maxEvents} messages and pongs, more than any case expects`)
    this.events.push(event)
    if (event.type === 'message') this.messages++
    this.wake()
  }

  // --- the peer's side ---

  /** The peer broke the protocol: the fuzzer fails the connection with 1002, as an endpoint must (§7.1.7), and the case is over. */
  private violation(what: string): void {
    if (this.violations.length < 20) this.violations.push(`${what} (at ${this.now()} ms)`)
    if (!this.failing) {
      if (!this.sentClose) this.reply(closeFrame(1002))
      this.failing = true
    }
    this.wake()
  }

  private receive(chunk: Uint8Array): void {
    try {
      this.parser.push(chunk, (frame) => this.frame(frame))
    } catch (error) {
      this.violation(`unreadable frame header: ${(error as Error).message}`)
      this.socket.destroy()
    }
  }

  private frame(frame: ReceivedFrame): void {
    this.log('received', frame.opCode, frame.fin, frame.rsv, frame.payload.length)
    if (this.peerClose !== null) {
      // §5.5.1 forbids data after a close; a control frame is logged and ignored.
      if (frame.opCode < Close) this.violation(`a data frame (opcode ${frame.opCode}) after the close frame (§5.5.1)`)
      return
    }
    if (frame.masked !== (this.role === 'server')) {
      this.violation(this.role === 'server' ? 'an unmasked frame from a client (§5.3)' : 'a masked frame from a server (§5.1)')
    }
    const starts = frame.opCode === Text || frame.opCode === Binary
    const allowedRsv = starts && this.deflate !== null ? 0b100 : 0
    if ((frame.rsv & ~allowedRsv) !== 0) this.violation(`reserved bits ${frame.rsv.toString(2).padStart(3, '0')} on opcode ${frame.opCode} (§5.2, RFC 7692 §6)`)
    if (frame.opCode >= Close) {
      if (frame.opCode > Pong) return this.violation(`reserved control opcode ${frame.opCode} (§5.2)`)
      if (!frame.fin || frame.payload.length > 125) return this.violation(`a fragmented or oversized control frame (§5.5)`)
      return this.control(frame.opCode, frame.payload)
    }
    if (frame.opCode > Binary) return this.violation(`reserved data opcode ${frame.opCode} (§5.2)`)
    if (starts === (this.partial !== null)) {
      return this.violation(starts ? 'a new message inside a fragmented one (§5.4)' : 'a continuation frame with no message to continue (§5.4)')
    }
    this.partial ??= { opCode: frame.opCode, compressed: (frame.rsv & 0b100) !== 0, pieces: [] }
    this.partial.pieces.push(frame.payload)
    this.partialBytes += frame.payload.length
    if (this.partialBytes > maxMessage) return this.violation(`a message of more than ${maxMessage} bytes, more than any case sends`)
    if (!frame.fin) return
    const { opCode, compressed, pieces } = this.partial
    this.partial = null
    this.partialBytes = 0
    let data: Uint8Array = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces)
    if (compressed) {
      try {
        data = this.deflate!.decompress(data)
      } catch (error) {
        return this.violation(`compressed data that does not inflate within the agreed window and context (RFC 7692 §7.2.2): ${(error as Error).message}`)
      }
    }
    if (opCode === Text && !validUtf8(data)) return this.violation('a text message that is not valid UTF-8 (§8.1)')
    this.record({ type: 'message', opCode, data })
  }

  private control(opCode: number, payload: Uint8Array): void {
    if (opCode === Ping) {
      this.reply({ opCode: Pong, payload })
    } else if (opCode === Pong) {
      if (Buffer.from(payload).toString() !== settleToken) return this.record({ type: 'pong', data: payload })
      this.settled = true
      this.wake()
    } else {
      this.peerClosed(payload)
    }
  }

  private peerClosed(payload: Uint8Array): void {
    let code = 1005
    let reason = ''
    if (payload.length === 1) this.violation('a close frame with a 1-byte body (§5.5.1)')
    if (payload.length >= 2) {
      code = (payload[0] << 8) | payload[1]
      if (!validCloseCode(code)) this.violation(`close code ${code}, which must not be sent (§7.4)`)
      if (!validUtf8(payload.subarray(2))) this.violation('a close reason that is not valid UTF-8 (§5.5.1)')
      else reason = Buffer.from(payload.subarray(2)).toString()
    }
    this.closedFirst ??= 'peer'
    // The answer goes out before the close is noted: from then on the fuzzer sends nothing.
    if (!this.sentClose) this.reply(closeFrame(validCloseCode(code) ? code : undefined))
    this.peerClose = { code, reason, at: this.now(), late: this.settled }
    this.closingHandshakeDone()
    this.wake()
  }

  /** Both close frames are through: a server closes TCP at once; a client waits for the server to (§5.5.1, §7.1.1). */
  private closingHandshakeDone(): void {
    if (this.role === 'server') {
      this.tcpGone('fuzzer')
      this.socket.end()
      return
    }
    void this.until(() => this.closed, this.timeouts.closeMs).then((closed) => {
      if (closed) return
      this.tcpGone('timeout')
      this.socket.destroy()
    })
  }

  // --- the fuzzer's side ---

  /** The fuzzer stops writing once the peer has closed or TCP is gone. */
  private get stopped(): boolean {
    return this.ended || this.failing || this.socket.destroyed
  }

  private logSent(specs: FrameSpec[]): void {
    for (const spec of specs) {
      if (spec.opCode === Close) {
        this.sentClose = true
        this.closedFirst ??= 'fuzzer'
      }
      this.log('sent', spec.opCode, spec.fin ?? true, spec.rsv ?? 0, bytesOf(spec.payload).length)
    }
  }

  private async drained(ok: boolean): Promise<void> {
    if (!ok) await this.until(() => this.socket.writableNeedDrain !== true || this.closed, this.timeouts.caseMs)
  }

  /** encode is `spec` as the fuzzer's frame bytes (masked when the fuzzer is the client), for scripts that cut them up. */
  encode(spec: FrameSpec): Uint8Array {
    return encodeFrame(spec, this.role === 'client')
  }

  /** send writes `specs` as frames, all in one TCP write (synchronously: the promise is for backpressure). */
  async send(...specs: FrameSpec[]): Promise<void> {
    if (this.stopped) return
    this.logSent(specs)
    await this.drained(this.socket.write(Buffer.concat(specs.map((spec) => this.encode(spec)))))
  }

  /**
   * sendChopped writes `specs` as frames cut into pieces of `size` bytes, one TCP write each
   * with `pauseMs` (or a turn of the event loop) between them, so the peer gets them in pieces.
   */
  async sendChopped(specs: FrameSpec[], size: number, pauseMs = 0): Promise<void> {
    if (this.stopped) return
    this.logSent(specs)
    await this.sendPieces(Buffer.concat(specs.map((spec) => this.encode(spec))), size, pauseMs)
  }

  /**
   * sendPieces writes raw bytes in pieces of `size` (see {@link sendChopped}); they are not
   * logged as frames. Pongs and closes the fuzzer owes meanwhile wait until the last piece is
   * written, so they never land inside a frame: the bytes of one call should end on a frame
   * boundary, or on the peer's close.
   */
  async sendPieces(bytes: Uint8Array, size: number, pauseMs = 0): Promise<void> {
    this.chopping = true
    try {
      for (let at = 0; at < bytes.length; at += size) {
        if (this.stopped) return
        await this.drained(this.socket.write(bytes.subarray(at, at + size)))
        await (pauseMs > 0 ? delay(pauseMs) : new Promise((resolve) => setImmediate(resolve)))
      }
    } finally {
      this.chopping = false
      const held = this.held
      this.held = []
      for (const spec of held) this.reply(spec)
    }
  }

  /** reply sends a frame the fuzzer owes the peer (a pong, a close), now or once a chopped frame is written. */
  private reply(spec: FrameSpec): void {
    if (spec.opCode === Close) {
      this.sentClose = true
      this.closedFirst ??= 'fuzzer'
    }
    if (this.chopping) {
      // Of the pongs owed, only the latest ping's is kept (§5.5.3): a ping flood cannot grow this.
      this.held = this.held.filter((owed) => spec.opCode !== Pong || owed.opCode !== Pong)
      this.held.push(spec)
      return
    }
    if (this.tcpClosedBy !== null || this.socket.destroyed) return
    this.logSent([spec])
    this.socket.write(this.encode(spec))
  }


  /**
   * sendMessage sends a data message, in fragments of `fragmentSize` payload bytes when given,
   * compressed (RSV1 on the first frame only, RFC 7692 §6.1) when compression was agreed.
   */
  async sendMessage(opCode: number, data: Uint8Array | string, fragmentSize = 0): Promise<void> {
    const raw = bytesOf(data)
    const payload = this.deflate === null ? raw : this.deflate.compress(raw)
    const rsv = this.deflate === null ? 0 : 0b100
    if (fragmentSize <= 0 || payload.length <= fragmentSize) return this.send({ opCode, payload, rsv })
    const specs: FrameSpec[] = []
    for (let at = 0; at < payload.length; at += fragmentSize) {
      specs.push({ opCode: at === 0 ? opCode : Continuation, rsv: at === 0 ? rsv : 0, fin: at + fragmentSize >= payload.length, payload: payload.subarray(at, at + fragmentSize) })
    }
    await this.send(...specs)
  }

  /**
   * sync sends a ping (`sync-N`) and waits for its pong or the end of the connection: a barrier
   * that tells whether the peer had failed before it read the ping. The pong is an event.
   */
  async sync(): Promise<void> {
    const token = `sync-${++this.syncs}`
    await this.send({ opCode: Ping, payload: token })
    await this.until(() => this.over || this.events.some((event) => event.type === 'pong' && Buffer.from(event.data).toString() === token), this.timeouts.caseMs)
  }

  /** waitForEnd waits up to `ms` for the peer's close frame, the end of TCP, or a breach. */
  waitForEnd(ms: number): Promise<boolean> {
    return this.until(() => this.over, ms)
  }

  /** mark records that the script got this far, unless the case is already over. */
  mark(name: string): void {
    if (!this.over) this.events.push({ type: 'mark', name })
  }

  /** destroy drops the connection at once. */
  destroy(): void {
    this.tcpGone('fuzzer')
    this.socket.destroy()
  }

  /** close sends a close frame with `code` (none when undefined) and `reason`. */
  close(code?: number, reason: Uint8Array | string = ''): void {
    void this.send(closeFrame(code, reason))
  }


  /**
   * finish ends the case the way its outcomes say (waiting for the peer's failure, or for its
   * events and then closing normally), completes the closing handshake, waits for TCP to close,
   * and returns what was observed.
   */
  async finish(outcomes: Outcome[], caseMs = this.timeouts.caseMs): Promise<Observation> {
    const peerFails = outcomes.every((outcome) => outcome.closedBy === 'peer')
    if (!this.over && !this.sentClose) {
      if (peerFails) {
        await this.send({ opCode: Ping, payload: settleToken })
        await this.until(() => this.over || this.settled, caseMs)
        await this.until(() => this.over, this.timeouts.lateMs)
      } else {
        const wanted = Math.max(...outcomes.map((outcome) => outcome.events.length))
        await this.until(() => this.over || this.events.length >= wanted, caseMs)
      }
      if (!this.over) this.close(1000)
    }
    await this.until(() => this.ended, this.timeouts.closeMs)
    if (!this.ended) {
      // The peer never answered: as a server would, give up and close.
      this.tcpGone('timeout')
      this.socket.destroy()
    }
    await this.until(() => this.closed, this.timeouts.closeMs * 2)
    if (!this.closed) {
      this.tcpGone('timeout')
      this.socket.destroy()
    }
    return {
      events: this.events, close: this.peerClose, closedFirst: this.closedFirst, tcpClosedBy: this.tcpClosedBy ?? 'timeout', tcpClosedAt: this.tcpClosedAt,
      violations: this.violations, frames: this.frames, framesNotLogged: this.framesNotLogged,
    }
  }
}
