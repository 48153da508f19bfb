// The load of echo.ts on connections that stay open from the warm-up to the end of the
// measurement, so that what is measured is a connection's steady state: a fresh loopback
// connection starts with small TCP windows and socket buffers (tcp_wmem's 16 KiB, tcp_rmem's
// 128 KiB) that the kernel grows over its first few hundred milliseconds, and while they are
// small every large message costs several times its steady-state CPU, in every server alike
// (bench/README.md, "Echo: steady state"). Replies are counted as bench/lib/load.ts's drive
// counts them (headers read, payloads skipped).
import { connect, type Socket } from 'node:net'
import { ReplyCounter, upgradeRequest } from './load.js'

/** One connection of an {@link EchoLoad}: its socket and what it has sent and had answered. */
interface Connection {
  socket: Socket
  replies: ReplyCounter | null
  received: number
  sent: number
  answered: number
  /** The answers this connection waits for in the current run; then `finished` is called. */
  target: number
  finished: (() => void) | null
}

/**
 * EchoLoad holds `connections` upgraded raw connections to an echo server and has messages
 * echoed on them, run after run, `inFlight` outstanding on each: every message is `frame`
 * (one prebuilt masked frame). Replies are counted, not read: the floor's are the frames sent,
 * whole (`floor`), the others' headers are read and payloads skipped.
 */
export class EchoLoad {
  private readonly all: Connection[] = []
  private constructor(private readonly frame: Uint8Array, private readonly batch: Buffer, private readonly inFlight: number) {}

  /** open connects and upgrades every connection; none has sent a message yet. */
  static async open(port: number, connections: number, inFlight: number, frame: Uint8Array, floor: boolean): Promise<EchoLoad> {
    const load = new EchoLoad(frame, Buffer.concat(Array.from({ length: inFlight }, () => frame)), inFlight)
    const all = await Promise.all(Array.from({ length: connections }, () => new Promise<Connection>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(upgradeRequest()))
      socket.setNoDelay(true)
      const c: Connection = { socket, replies: floor ? null : new ReplyCounter(), received: 0, sent: 0, answered: 0, target: 0, finished: null }
      let upgraded = false
      socket.on('data', (chunk: Buffer) => {
        if (!upgraded) {
          const end = chunk.indexOf('\r\n\r\n')
          if (end === -1) return reject(new Error('response head split across chunks'))
          upgraded = true
          chunk = chunk.subarray(end + 4)
          resolve(c)
        }
        if (chunk.length > 0) load.answer(c, chunk)
      })
      socket.on('error', reject)
    })))
    load.all.push(...all)
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

  /** close ends every connection. */
  close(): void {
    for (const c of this.all) c.socket.destroy()
  }

  private answer(c: Connection, chunk: Buffer): void {
    let done: number
    if (c.replies === null) {
      c.received += chunk.length
      done = Math.floor(c.received / this.frame.length)
    } else {
      done = c.replies.count(chunk)
    }
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
    c.socket.write(this.batch.subarray(0, count * this.frame.length))
    c.sent += count
  }
}
