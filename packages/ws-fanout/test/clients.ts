// Real WebSocket clients for the tests: the npm package `ws`, each in a room of a node, sending
// numbered messages and checking what it receives: every message of its room exactly once, in
// each sender's order, with an intact checksum.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import WebSocket, { type ClientOptions } from 'ws'

/** A chat message as the clients write it: who, their number, and a checksum of the text. */
export interface Line {
  from: string
  seq: number
  text: string
  sum: string
}

export function line(from: string, seq: number, size = 16): string {
  const text = `${from}:${seq}:`.padEnd(size, 'x')
  return JSON.stringify({ from, seq, text, sum: createHash('sha1').update(text).digest('hex') })
}

/** Client is one connected `ws` client and what it received, checked as it arrives. */
export class Client {
  /** per sender, the last number received */
  readonly last = new Map<string, number>()
  received = 0
  /** binary messages, kept as they came (the chat sends text) */
  readonly binaries: Buffer[] = []
  /** problems: duplicates, out of order, bad checksums */
  readonly problems: string[] = []
  private waiters: (() => void)[] = []

  private constructor(readonly name: string, readonly room: string, readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return void this.binaries.push(data)
      const { from, seq, text, sum } = JSON.parse(data.toString()) as Line
      if (createHash('sha1').update(text).digest('hex') !== sum) this.problems.push(`bad checksum from ${from} #${seq}`)
      const last = this.last.get(from) ?? 0
      if (seq !== last + 1) this.problems.push(`from ${from}: #${seq} after #${last}`)
      this.last.set(from, seq)
      this.received++
      for (const waiter of this.waiters.splice(0)) waiter()
    })
  }

  static async connect(port: number, room: string, name: string, options: ClientOptions = {}): Promise<Client> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/room/${room}`, { perMessageDeflate: false, ...options })
    await once(socket, 'open')
    return new Client(name, room, socket)
  }

  send(seq: number, size?: number): void {
    this.socket.send(line(this.name, seq, size))
  }

  /** until resolves once `count` messages have arrived. */
  async until(count: number): Promise<void> {
    while (this.received < count) await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return
    const closed = once(this.socket, 'close')
    this.socket.close(1000)
    await closed
  }
}
