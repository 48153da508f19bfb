import { type Frame, OpCode, Rsv1 } from '@ws-toolkit/ws-core'
import type { DeflateEngine } from './engine.js'
import { fflateEngine } from './fflate-engine.js'
import { MessageDeflater } from './message-deflater.js'
import { MessageInflater } from './message-inflater.js'
import { checkLevel } from './level.js'

function checkWholeMessage(frame: Frame): void {
  const { fin, opCode } = frame.header
  if (!fin || (opCode !== OpCode.Text && opCode !== OpCode.Binary)) {
    throw new RangeError('permessage-deflate compresses whole messages: a final text or binary frame (RFC 7692 §6)')
  }
}

/**
 * compressFrame returns a new frame with `frame`'s payload compressed as one message on its
 * own (no context takeover, a 15-bit window) and RSV1 set (RFC 7692 §6.1, §7.2.1); `frame` is
 * not changed and the new payload is a buffer of its own. Stateless and simple, not fast: it
 * sets up a compressor each call. Connections compress with a {@link PerMessageDeflate}. On a
 * connection whose own compressor keeps its context, sending such a frame must be followed by
 * that compressor's `reset()` (ws-util's writers do it when given RSV1).
 */
export function compressFrame(frame: Frame, options: { engine?: DeflateEngine | undefined; level?: number | undefined } = {}): Frame {
  checkWholeMessage(frame)
  if ((frame.header.rsv & Rsv1) !== 0) throw new RangeError('the frame is compressed already (RSV1)')
  checkLevel(options.level)
  const raw = (options.engine ?? fflateEngine).createDeflater({ windowBits: 15, keepContext: false, level: options.level })
  try {
    const payload = new Uint8Array(new MessageDeflater(raw, { keepContext: false }).compress(frame.payload)!)
    return { header: { ...frame.header, rsv: frame.header.rsv | Rsv1, length: payload.length }, payload }
  } finally {
    raw.close?.()
  }
}

/**
 * decompressFrame returns a new frame with `frame`'s payload inflated and RSV1 cleared (RFC
 * 7692 §6.2, §7.2.2), as a message compressed on its own; `frame` is not changed. A frame
 * without RSV1 is a RangeError; data that does not inflate an InvalidPayloadError
 * (1007); one inflating past `maxMessageSize` (64 MiB by default) a LimitError (1009), raised
 * while inflating.
 */
export function decompressFrame(frame: Frame, options: { engine?: DeflateEngine | undefined; maxMessageSize?: number | undefined } = {}): Frame {
  checkWholeMessage(frame)
  if ((frame.header.rsv & Rsv1) === 0) throw new RangeError('the frame is not compressed (RSV1 clear)')
  const raw = (options.engine ?? fflateEngine).createInflater({ windowBits: 15, keepContext: false })
  try {
    const payload = new MessageInflater(raw, { maxMessageSize: options.maxMessageSize }).inflate(frame.payload)
    return { header: { ...frame.header, rsv: frame.header.rsv & ~Rsv1, length: payload.length }, payload }
  } finally {
    raw.close?.()
  }
}
