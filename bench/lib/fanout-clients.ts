// The members of the fan-out benchmark's room: a client process holding thousands of raw
// sockets, each upgraded with a minimal handshake and then only reading. Every server frame's
// header is parsed and the frame counted; its payload is skipped, except on one connection in
// `sampleEvery`, where the message is read (inflated when compressed: the servers keep no
// context, RFC 7692 §7.1.1.1, so each message inflates alone) for the publish time it starts
// with, to measure delivery latency. Far lighter than a WebSocket client: what the load costs
// is the same for every server, and it is not what the benchmark compares.
//
// Commands come from the parent over IPC, one at a time, each answered with a `reply`; besides,
// the process pushes `complete` (how many messages every one of its connections has received)
// each time that number grows, so that the parent knows when a message has reached everyone.
import { connect, type Socket } from 'node:net'
import { constants, inflateRawSync } from 'node:zlib'

/** What the parent asks of a client process. */
export type ClientCommand =
  | { kind: 'open'; ports: number[]; from: number; to: number; path: string; deflate: boolean; sampleEvery: number }
  | { kind: 'latency' }
  | { kind: 'close' }

/** The answer to 'open'. */
export interface OpenReport { opened: number; failed: number; agreed: number; errors: string[] }

/** The answer to 'latency': delivery latencies (µs) of the sampled connections since the last 'latency', and the problems seen. */
export interface LatencyReport { samples: number[]; frames: number; compressed: number; errors: number; errorMessages: string[] }

/** What the process sends its parent. */
export type ClientMessage = { type: 'ready' } | { type: 'complete'; count: number } | { type: 'reply'; answer: unknown }

/** The permessage-deflate offer, as a browser makes it; the servers answer with server_no_context_takeover. */
const offer = 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n'
/** How many handshakes a client process keeps in flight while opening. */
const openConcurrency = 200
/** RFC 7692 §7.2.2: the tail a compressed message's end lost. */
const tail = Buffer.from([0x00, 0x00, 0xff, 0xff])

/** The process's counts, shared by its connections. */
class Counts {
  /** atLeast[k] is how many connections have received at least k data frames. */
  readonly atLeast: number[] = [0]
  connections = 0
  frames = 0
  /** Data frames with RSV1 set: compressed (RFC 7692 §6). */
  compressed = 0
  errors = 0
  readonly errorMessages: string[] = []
  samples: number[] = []

  error(message: string): void {
    this.errors++
    if (this.errorMessages.length < 5) this.errorMessages.push(message)
  }

  /** received notes that a connection has received its `count`th data frame; tells the parent when every connection has. */
  received(count: number): void {
    this.frames++
    const atLeast = this.atLeast
    if (count >= atLeast.length) atLeast.push(0)
    // A connection with k frames has had k - 1: when every one has k, k messages are complete.
    if (++atLeast[count]! === this.connections) process.send!({ type: 'complete', count } satisfies ClientMessage)
  }
}

/** publishedAt reads the publish time (µs of the monotonic clock) a message starts with: `{"t":1234,`. */
function publishedAt(payload: Uint8Array): number {
  if (payload[0] !== 0x7b || payload[2] !== 0x74 || payload[4] !== 0x3a) return NaN
  let value = 0
  for (let i = 5; i < payload.length; i++) {
    const digit = payload[i]! - 0x30
    if (digit < 0 || digit > 9) return value
    value = value * 10 + digit
  }
  return NaN
}

const nowMicros = () => Number(process.hrtime.bigint() / 1000n)

/**
 * Member is one upgraded connection's frame reader: a header parser that survives any split
 * of the stream into chunks, counting data frames and skipping their payloads, or gathering
 * them when `sampled`.
 */
class Member {
  received = 0
  /** Bytes of a header split across chunks. */
  private partial: Buffer | null = null
  /** Payload bytes still to skip (or gather) of the current frame. */
  private remaining = 0
  private compressed = false
  private gathered: Buffer[] | null = null

  constructor(private readonly counts: Counts, private readonly sampled: boolean) {}

  data(chunk: Buffer): void {
    let bytes = chunk
    if (this.partial !== null) {
      bytes = Buffer.concat([this.partial, chunk])
      this.partial = null
    }
    let offset = 0
    while (offset < bytes.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, bytes.length - offset)
        if (this.gathered !== null) this.gathered.push(bytes.subarray(offset, offset + take))
        this.remaining -= take
        offset += take
        if (this.remaining === 0) this.end()
        continue
      }
      const available = bytes.length - offset
      if (available < 2) {
        this.partial = Buffer.from(bytes.subarray(offset))
        return
      }
      const b0 = bytes[offset]!
      let length = bytes[offset + 1]! & 0x7f
      const size = length === 126 ? 4 : length === 127 ? 10 : 2
      if (available < size) {
        this.partial = Buffer.from(bytes.subarray(offset))
        return
      }
      if (length === 126) length = bytes.readUInt16BE(offset + 2)
      else if (length === 127) length = Number(bytes.readBigUInt64BE(offset + 2))
      offset += size
      const opCode = b0 & 0xf
      if (opCode !== 1 && opCode !== 2) {
        if (opCode === 8) this.counts.error('a close frame from the server')
        this.remaining = length
        this.gathered = null
        if (length === 0) continue
        continue
      }
      this.counts.received(++this.received)
      if ((b0 & 0x40) !== 0) this.counts.compressed++
      if (!this.sampled) {
        this.remaining = length
        continue
      }
      this.compressed = (b0 & 0x40) !== 0
      this.gathered = []
      this.remaining = length
      if (length === 0) this.end()
    }
  }

  /** end finishes a gathered message: its latency, from the publish time in it. */
  private end(): void {
    const parts = this.gathered
    if (parts === null) return
    this.gathered = null
    const received = nowMicros()
    try {
      let payload = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
      if (this.compressed) payload = inflateRawSync(Buffer.concat([payload, tail]), { finishFlush: constants.Z_SYNC_FLUSH })
      const published = publishedAt(payload)
      if (Number.isNaN(published)) this.counts.error('a message without its publish time')
      else this.counts.samples.push(received - published)
    } catch (error) {
      this.counts.error(`a message that did not inflate: ${(error as Error).message}`)
    }
  }
}

/** upgrade connects to `port`, sends the request and resolves with the socket once the 101 came (and whether deflate was agreed), feeding what followed it to `member`. */
function upgrade(port: number, request: Buffer, member: Member, deflate: boolean): Promise<{ socket: Socket; agreed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true })
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      const response = head.subarray(0, end).toString('latin1')
      if (!response.startsWith('HTTP/1.1 101')) {
        socket.destroy()
        reject(new Error(response.split('\r\n')[0]))
        return
      }
      const extensions = /\r\nsec-websocket-extensions:([^\r]*)/i.exec(response)?.[1] ?? ''
      const agreed = deflate && /permessage-deflate/.test(extensions) && /server_no_context_takeover/.test(extensions)
      socket.on('data', (data: Buffer) => member.data(data))
      resolve({ socket, agreed })
      if (end + 4 < head.length) member.data(head.subarray(end + 4))
    }
    socket.on('data', onData)
    socket.once('error', reject)
    socket.write(request)
  })
}

/** runClients runs this process as a client process: it says it is ready, then answers the parent's commands, and exits when the parent goes. */
export function runClients(): void {
  let counts = new Counts()
  let sockets: Socket[] = []
  const reply = (answer: unknown) => process.send!({ type: 'reply', answer } satisfies ClientMessage)

  const open = async (command: Extract<ClientCommand, { kind: 'open' }>): Promise<OpenReport> => {
    // A new set of members, counted from zero.
    counts = new Counts()
    sockets = []
    closing = false
    const mine = counts
    let next = command.from
    let failed = 0
    let agreed = 0
    const errors: string[] = []
    const requests = command.ports.map((port) => Buffer.from(
      `GET ${command.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${command.deflate ? offer : ''}\r\n`, 'latin1'))
    const worker = async () => {
      while (next < command.to) {
        const id = next++
        const node = id % command.ports.length
        const member = new Member(mine, id % command.sampleEvery === 0)
        try {
          const { socket, agreed: yes } = await upgrade(command.ports[node]!, requests[node]!, member, command.deflate)
          socket.on('error', (error) => mine.error(`connection ${id}: ${error.message}`))
          socket.on('close', () => {
            if (mine === counts && !closing) mine.error(`connection ${id} closed by the server`)
          })
          sockets.push(socket)
          if (yes) agreed++
        } catch (error) {
          failed++
          if (errors.length < 5) errors.push(`connection ${id}: ${(error as Error).message}`)
        }
      }
    }
    await Promise.all(Array.from({ length: openConcurrency }, worker))
    mine.connections = sockets.length
    return { opened: sockets.length, failed, agreed, errors }
  }

  let closing = false
  process.on('message', (command: ClientCommand) => {
    switch (command.kind) {
      case 'open':
        void open(command).then(reply)
        return
      case 'latency': {
        const report: LatencyReport = { samples: counts.samples, frames: counts.frames, compressed: counts.compressed, errors: counts.errors, errorMessages: counts.errorMessages.splice(0) }
        counts.samples = []
        counts.frames = 0
        counts.compressed = 0
        counts.errors = 0
        reply(report)
        return
      }
      case 'close':
        closing = true
        for (const socket of sockets) socket.destroy()
        reply({ closed: sockets.length })
        sockets = []
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.send!({ type: 'ready' } satisfies ClientMessage)
}
