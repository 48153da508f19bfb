// The fuzzer's permessage-deflate (RFC 7692), on node:zlib rather than ws-flate, so that a
// peer's compression is judged by an independent implementation. Context takeover is a preset
// dictionary: the last 2^windowBits bytes of the previous messages, which is exactly the
// window a peer that keeps its context holds. Inflating with the agreed window (and small
// output buffers) makes a peer that reaches further back than it agreed to fail ("invalid
// distance too far back").
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib'
import type { DeflateAgreement } from '@ws-toolkit/ws-flate'
import type { Role } from './case.js'

const tail = Buffer.from([0x00, 0x00, 0xff, 0xff])
/**
 * zlib checks a distance against its window only for bytes that left the current output
 * buffer: inflating into 64-byte buffers (node:zlib's smallest) makes it check every
 * reference that reaches more than 63 bytes past the agreed window.
 */
const inflateChunk = 64
const empty = Buffer.alloc(0)

/** One direction's state: its window and, with context takeover, the history it keeps. */
class Direction {
  private history: Buffer = empty

  constructor(readonly windowBits: number, readonly keepContext: boolean) {}

  dictionary(): Buffer | undefined {
    return this.history.length > 0 ? this.history : undefined
  }

  remember(data: Uint8Array): void {
    if (!this.keepContext) return
    const window = 1 << this.windowBits
    const joined = Buffer.concat([this.history, data])
    this.history = joined.length > window ? joined.subarray(joined.length - window) : joined
  }
}

/** DeflateContext is the fuzzer's half of one connection's agreement. */
export class DeflateContext {
  private readonly own: Direction
  private readonly peer: Direction

  constructor(readonly agreement: DeflateAgreement, role: Role) {
    const server = role === 'server'
    this.own = new Direction(server ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits, !(server ? agreement.serverNoContextTakeover : agreement.clientNoContextTakeover))
    this.peer = new Direction(server ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits, !(server ? agreement.clientNoContextTakeover : agreement.serverNoContextTakeover))
  }

  /** compress is a message's payload as sent (§7.2.1): sync-flushed, the 4-byte tail removed. */
  compress(data: Uint8Array): Uint8Array {
    const out = deflateRawSync(data, { windowBits: this.own.windowBits, dictionary: this.own.dictionary(), finishFlush: constants.Z_SYNC_FLUSH })
    this.own.remember(data)
    return out.subarray(0, out.length - 4)
  }

  /**
   * decompress is a peer's message (§7.2.2), inflated within the peer's agreed window and
   * context; throws zlib's error for data that does not inflate that way.
   */
  decompress(payload: Uint8Array): Uint8Array {
    const out = inflateRawSync(Buffer.concat([payload, tail]), {
      windowBits: this.peer.windowBits, dictionary: this.peer.dictionary(), finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 64 << 20, chunkSize: inflateChunk,
    })
    this.peer.remember(out)
    return out
  }
}
