// The load side of the echo benchmarks: raw loopback sockets that send prebuilt masked frames
// and count the replies' headers without parsing payloads, far cheaper than a WebSocket client.
import { connect } from 'node:net'
import { MaxHeaderSize, newHeader, OpCode, readHeader } from '@ws-toolkit/ws-core'

/** upgradeRequest is a client's opening handshake, with `extensions` offered when given. */
export function upgradeRequest(extensions?: string): Buffer {
  return Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
    + `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extensions === undefined ? '' : `Sec-WebSocket-Extensions: ${extensions}\r\n`}\r\n`, 'latin1')
}

/** ReplyCounter counts the final frames of the messages in a server's byte stream, skipping payloads. */
export class ReplyCounter {
  private readonly header = newHeader()
  private readonly partial = new Uint8Array(MaxHeaderSize)
  private have = 0
  private skip = 0
  private messages = 0

  count(chunk: Uint8Array): number {
    let offset = 0
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - offset)
        this.skip -= take
        offset += take
        continue
      }
      let bytes = chunk
      let start = offset
      if (this.have > 0) {
        const add = Math.min(MaxHeaderSize - this.have, chunk.length - offset)
        this.partial.set(chunk.subarray(offset, offset + add), this.have)
        bytes = this.partial.subarray(0, this.have + add)
        start = 0
      }
      const size = readHeader(bytes, start, this.header)
      if (size === 0) {
        if (this.have === 0) this.partial.set(chunk.subarray(offset), 0)
        this.have = bytes === chunk ? chunk.length - offset : bytes.length
        return this.messages
      }
      offset += size - this.have
      this.have = 0
      this.skip = this.header.length
      if (this.header.fin && this.header.opCode < OpCode.Close) this.messages++
    }
    return this.messages
  }
}

/** Load is a benchmark case: `messages` of `size` bytes over `connections`, `inFlight` outstanding on each. */
export interface Load { size: number; connections: number; inFlight: number; messages: number }

/**
 * drive opens `connections` raw connections to `port`, upgrades each with `request`, and has
 * `load.messages` messages echoed in total, `inFlight` outstanding per connection; returns
 * seconds. Every connection sends `frames` in order (its k-th message is
 * `frames[k % frames.length]`): one frame for plain echo, a compressed stream (as long as a
 * connection's share, since each continues the last) for permessage-deflate. Replies are
 * counted, not read: the floor's are the frames sent, whole; a server may fragment its echo,
 * so the others' headers are read and their payloads skipped.
 */
export async function drive(port: number, load: Load, frames: Uint8Array[], options: { request?: Uint8Array; floor?: boolean } = {}): Promise<number> {
  const { request = upgradeRequest(), floor = false } = options
  const one = frames.length === 1 ? Buffer.concat(Array.from({ length: load.inFlight }, () => frames[0])) : null
  const batch = (from: number, count: number): Uint8Array => one !== null
    ? one.subarray(0, count * frames[0].length)
    : Buffer.concat(Array.from({ length: count }, (_, i) => frames[(from + i) % frames.length]))
  const perConnection = Math.ceil(load.messages / load.connections)
  const connection = () => new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    socket.setNoDelay(true)
    let upgraded = false
    let sent = 0
    let answered = 0
    let received = 0
    const replies = floor ? null : new ReplyCounter()
    socket.on('data', (chunk: Buffer) => {
      if (!upgraded) {
        const end = chunk.indexOf('\r\n\r\n')
        if (end === -1) return reject(new Error('response head split across chunks'))
        upgraded = true
        sent = Math.min(load.inFlight, perConnection)
        socket.write(batch(0, sent))
        chunk = chunk.subarray(end + 4)
      }
      let done: number
      if (replies === null) {
        received += chunk.length
        done = Math.floor(received / frames[0].length)
      } else {
        done = replies.count(chunk)
      }
      if (done === answered) return
      answered = done
      if (answered >= perConnection) {
        socket.destroy()
        return resolve()
      }
      const more = Math.min(answered + load.inFlight, perConnection) - sent
      if (more > 0) {
        socket.write(batch(sent, more))
        sent += more
      }
    })
    socket.on('error', reject)
  })
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: load.connections }, connection))
  return Number(process.hrtime.bigint() - start) / 1e9
}
