import type { Side } from '@ws-toolkit/ws-core'
import type { DeflateEngine } from './engine.js'
import { defaultEngine } from './default-engine.js'
import { checkLevel } from './level.js'
import { MessageDeflater } from './message-deflater.js'
import { MessageInflater } from './message-inflater.js'
import type { DeflateAgreement } from './negotiation.js'

/** PerMessageDeflateOptions configures a {@link PerMessageDeflate}; every field is optional. */
export interface PerMessageDeflateOptions {
  /** The engine: {@link defaultEngine}() when absent (zlib on Node.js, fflate elsewhere). Negotiate with its `minWindowBits`. */
  engine?: DeflateEngine | undefined
  /** Compression level, 1 (fastest) to 9 (smallest); the engine's default (6) when absent. */
  level?: number | undefined
  /** Messages shorter than this are sent uncompressed (compressing them costs more than it saves). Default 128 bytes. */
  threshold?: number | undefined
  /** The largest message, decompressed: 1009 beyond it, enforced while inflating. Default 64 MiB. */
  maxMessageSize?: number | undefined
}

/** defaultThreshold: messages under 128 bytes go uncompressed by default. */
export const defaultThreshold = 128

/**
 * PerMessageDeflate is permessage-deflate for one connection (RFC 7692), set up from the
 * agreement the handshake made and this endpoint's side: `deflater` compresses what this side
 * sends (with this side's window and context takeover), `inflater` decompresses what the peer
 * sends (with the peer's). Give them to ws-util's readers and writers (`compressor` /
 * `decompressor` options), or use them directly. `close()` when the connection ends frees the
 * engine's memory at once (needed for node:zlib's native memory only to free it sooner).
 */
export class PerMessageDeflate {
  /** deflater compresses the messages this side sends, with this side's window and context takeover (RFC 7692 §7.2.1). */
  readonly deflater: MessageDeflater
  /** inflater decompresses the messages the peer sends, with the peer's window and context takeover (RFC 7692 §7.2.2). */
  readonly inflater: MessageInflater

  /** new PerMessageDeflate(agreement, side, options) creates both engines now; a level outside 1-9 is a RangeError. */
  constructor(agreement: DeflateAgreement, side: Side, options: PerMessageDeflateOptions = {}) {
    const { engine = defaultEngine(), level, threshold = defaultThreshold, maxMessageSize } = options
    checkLevel(level)
    const server = side === 'server'
    const own = {
      windowBits: server ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits,
      keepContext: !(server ? agreement.serverNoContextTakeover : agreement.clientNoContextTakeover),
    }
    const peer = {
      windowBits: server ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits,
      keepContext: !(server ? agreement.clientNoContextTakeover : agreement.serverNoContextTakeover),
    }
    this.deflater = new MessageDeflater(engine.createDeflater({ ...own, level }), { keepContext: own.keepContext, threshold })
    this.inflater = new MessageInflater(engine.createInflater(peer), { maxMessageSize })
  }

  /** close frees both engines' memory; neither may be used after it. */
  close(): void {
    this.deflater.close()
    this.inflater.close()
  }
}
