// One connection of the scale benchmark's load: a raw socket that upgrades, sends masked chat
// messages (compressed when the server agreed to permessage-deflate: each message deflated on
// its own, valid with or without context takeover), reads the server's frames, inflates
// compressed replies (with the server's context when it keeps one) and checks every echo
// against the checksum of what was sent, in order. Far lighter than a WebSocket client; what
// it holds per connection is the socket, a few numbers and, for a server that keeps its
// compression context, an inflater.
import { connect, type Socket } from 'node:net'
import { cipher, compileFrame, maskFrame, newCloseFrame, newHeader, newTextFrame, OpCode, readHeader, Rsv1 } from '@ws-toolkit/ws-core'
import { MessageDeflater, MessageInflater } from '@ws-toolkit/ws-flate'
import { zlibEngine } from '@ws-toolkit/ws-flate/zlib'
import { chatMessage, fnv1a, fnvStart } from './chat-message.js'

/** LoadStats is what the clients of one load process counted; the process reports differences between phases. */
export interface LoadStats {
  sent: number
  /** Sends skipped because the connection's last message had no echo yet (at most one in flight: a server that falls behind is offered less). */
  skipped: number
  echoed: number
  /** Replies whose checksum was not the one expected next. */
  mismatched: number
  /** Data messages received with none outstanding. */
  unexpected: number
  /** Socket errors, failed handshakes, frames that did not inflate. */
  errors: number
  latencySumMs: number
  latencyMaxMs: number
}

/** newStats returns zeroed counts. */
export function newStats(): LoadStats {
  return { sent: 0, skipped: 0, echoed: 0, mismatched: 0, unexpected: 0, errors: 0, latencySumMs: 0, latencyMaxMs: 0 }
}

/** Shared is what a load process's clients share: the counts, one compressor (no context kept), inflaters for servers that keep none. */
export class Shared {
  readonly stats = newStats()
  /** The first few error messages, for the report. */
  readonly errorMessages: string[] = []
  /** Client messages are deflated one by one from a fresh window: valid whatever the agreement, cheap for the load. */
  readonly deflater = new MessageDeflater(zlibEngine.createDeflater({ windowBits: 15, keepContext: false, level: 1 }), { keepContext: false, threshold: 0 })
  private readonly inflaters = new Map<number, MessageInflater>()

  /** statelessInflater returns the process's inflater for a server window of `windowBits` without context takeover. */
  statelessInflater(windowBits: number): MessageInflater {
    let inflater = this.inflaters.get(windowBits)
    if (inflater === undefined) this.inflaters.set(windowBits, inflater = new MessageInflater(zlibEngine.createInflater({ windowBits, keepContext: false })))
    return inflater
  }

  /** error counts an error and keeps its message if it is among the first five. */
  error(message: string): void {
    this.stats.errors++
    if (this.errorMessages.length < 5) this.errorMessages.push(message)
  }
}

/** ClientOptions says where a client connects and how it talks. */
export interface ClientOptions {
  port: number
  localAddress: string
  request: Uint8Array
  /** The server is the floor: its replies are our own masked frames, byte for byte, and it closes only after us. */
  floor: boolean
  shared: Shared
}

/** The server's permessage-deflate agreement as the load needs it: the server's window and whether it keeps its context. */
interface Deflate { windowBits: number; takeover: boolean }

const header = newHeader()
const closeFrame = () => compileFrame(maskFrame(newCloseFrame(1000)))

/** CheckedClient is one upgraded connection; {@link openClient} makes one. */
export class CheckedClient {
  /** The sequence number of the next message sent. */
  nextSeq = 0
  /** The close code the server's close frame carried; -1 before one. */
  closeCode = -1
  private readonly expected: number[] = []
  private readonly sentAt: number[] = []
  private pending: Buffer | null = null
  private inflater: MessageInflater | null = null
  private compressed = false
  private hash = fnvStart
  private readonly sink = (chunk: Uint8Array) => {
    this.hash = fnv1a(this.hash, chunk)
  }

  /** constructor takes an upgraded socket and the bytes that came after the response head. */
  constructor(readonly socket: Socket, readonly id: number, private readonly deflate: Deflate | null, private readonly options: ClientOptions, rest: Buffer) {
    socket.on('data', (chunk: Buffer) => this.read(chunk))
    if (rest.length > 0) this.read(rest)
  }

  /** outstanding is how many messages wait for their echo. */
  get outstanding(): number {
    return this.expected.length
  }

  /** send sends this connection's next chat message, compressed when deflate was agreed. */
  send(): void {
    if (this.socket.destroyed || this.closeCode !== -1) return
    const message = chatMessage(this.id, this.nextSeq++)
    this.expected.push(fnv1a(fnvStart, message))
    this.sentAt.push(performance.now())
    const frame = newTextFrame(this.deflate === null ? message : this.options.shared.deflater.compress(message)!)
    if (this.deflate !== null) frame.header.rsv = Rsv1
    this.socket.write(compileFrame(maskFrame(frame)))
    this.options.shared.stats.sent++
  }

  /**
   * close sends a close frame with 1000 and resolves when the socket has closed: true for a
   * clean close (the server's close frame carried 1000, no error), false otherwise or after
   * `timeoutMs`, when the socket is destroyed.
   */
  close(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(false)
      let errored = false
      const timer = setTimeout(() => {
        errored = true
        this.socket.destroy()
      }, timeoutMs)
      this.socket.once('error', () => (errored = true))
      this.socket.once('close', () => {
        clearTimeout(timer)
        resolve(!errored && this.closeCode === 1000)
      })
      this.socket.write(closeFrame())
    })
  }

  /** read takes the next chunk of the server's frames; a frame split across chunks waits for the rest. */
  private read(chunk: Buffer): void {
    const bytes = this.pending === null ? chunk : Buffer.concat([this.pending, chunk])
    let offset = 0
    try {
      for (;;) {
        const size = readHeader(bytes, offset, header)
        if (size === 0 || offset + size + header.length > bytes.length) break
        let payload = bytes.subarray(offset + size, offset + size + header.length)
        if (header.masked) { // the floor's replies: our own frames
          payload = Buffer.from(payload)
          cipher(payload, header.mask, 0)
        }
        offset += size + header.length
        this.frame(header.opCode, header.fin, header.rsv, payload)
      }
    } catch (error) {
      this.options.shared.error(`connection ${this.id}: ${(error as Error).message}`)
      this.socket.destroy()
      return
    }
    this.pending = offset === bytes.length ? null : Buffer.from(bytes.subarray(offset))
  }

  /** frame handles one frame: a piece of an echo (checked when its message ends), or the server's close. */
  private frame(opCode: number, fin: boolean, rsv: number, payload: Uint8Array): void {
    if (opCode === OpCode.Close) {
      this.closeCode = payload.length >= 2 ? (payload[0] << 8) | payload[1] : 1005
      if (this.options.floor) this.socket.end() // the floor echoed our close: we end first, as it waits for us
      return
    }
    if (opCode === OpCode.Ping || opCode === OpCode.Pong) return
    if (opCode !== OpCode.Continuation) {
      this.compressed = (rsv & Rsv1) !== 0
      this.hash = fnvStart
    }
    if (this.compressed) this.inflaterFor().write(payload, this.sink)
    else this.hash = fnv1a(this.hash, payload)
    if (!fin) return
    if (this.compressed) this.inflaterFor().end(this.sink)
    const stats = this.options.shared.stats
    const expected = this.expected.shift()
    if (expected === undefined) {
      stats.unexpected++
      return
    }
    const latency = performance.now() - this.sentAt.shift()!
    if (expected !== this.hash) stats.mismatched++
    else stats.echoed++
    stats.latencySumMs += latency
    if (latency > stats.latencyMaxMs) stats.latencyMaxMs = latency
  }

  /** inflaterFor is this connection's inflater when the server keeps its context, the process's shared one when it does not. */
  private inflaterFor(): MessageInflater {
    if (this.deflate === null) throw new Error('compressed reply without permessage-deflate')
    if (!this.deflate.takeover) return this.options.shared.statelessInflater(this.deflate.windowBits)
    return this.inflater ??= new MessageInflater(zlibEngine.createInflater({ windowBits: this.deflate.windowBits, keepContext: true }))
  }
}

/**
 * openClient connects from `localAddress`, sends the upgrade request and resolves with the
 * client once a 101 has come back (with the agreement read from its extensions header), or
 * rejects on any other answer, an error, or after `timeoutMs`.
 */
export function openClient(id: number, options: ClientOptions, timeoutMs = 30_000): Promise<CheckedClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: options.port, host: '127.0.0.1', localAddress: options.localAddress }, () => socket.write(options.request))
    socket.setNoDelay(true)
    let head = Buffer.alloc(0)
    const timer = setTimeout(() => fail(new Error(`no handshake answer within ${timeoutMs} ms`)), timeoutMs)
    const fail = (error: Error) => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.destroy()
      reject(error)
    }
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end === -1) return
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('error', fail)
      const text = head.subarray(0, end).toString('latin1')
      if (!text.startsWith('HTTP/1.1 101')) return fail(new Error(`handshake refused: ${text.split('\r\n')[0]}`))
      socket.on('error', (error) => options.shared.error(`connection ${id}: ${error.message}`))
      resolve(new CheckedClient(socket, id, agreement(text), options, head.subarray(end + 4)))
    }
    socket.on('data', onData)
    socket.on('error', fail)
  })
}

/** agreement reads the server's permessage-deflate response from a response head: null when it did not agree. */
function agreement(head: string): Deflate | null {
  const line = /^sec-websocket-extensions:(.*)$/im.exec(head)?.[1]
  if (line === undefined || !/permessage-deflate/i.test(line)) return null
  const bits = /server_max_window_bits\s*=\s*"?(\d+)/i.exec(line)
  return { windowBits: bits === null ? 15 : Number(bits[1]), takeover: !/server_no_context_takeover/i.test(line) }
}
