import { Deflate, Inflate, inflateSync } from 'fflate'
import type { DeflateEngine, DeflaterOptions, InflaterOptions, RawDeflater, RawInflater, Sink } from './engine.js'
import { concat } from './concat.js'
import { History } from './history.js'
import { checkLevel, checkMemLevel } from './level.js'

/**
 * fflate's Deflate keeps its state in `s` (fflate 0.8.3, which package.json pins exactly):
 * after a flush, `r` holds the last, partial output byte (`r >> 3`) and how many of its bits
 * are used (`r & 7`); that byte has not been emitted yet. `h` and `p` are its hash chains
 * (made at its first flush), `i` the next position to hash, `w` the first position not yet
 * encoded, `z` the end of the data in its buffer `b`, `l` the final flag. The chains hold
 * positions modulo 32 KiB, and 0 also stands for "none".
 */
interface DeflateState {
  r?: number
  h?: Uint16Array | undefined
  p?: Uint16Array | undefined
}
interface DeflateInternals {
  s: DeflateState & { l: number; i: number; w: number; z: number }
  /** p(buffer, final) encodes what was pushed since the last call (fflate's `dflt`), passing the output to the callback. */
  p(buffer: Uint8Array, final: boolean): void
}

/**
 * syncFlush ends what fflate has flushed with an empty stored block (RFC 1951 §3.2.4), the
 * sync flush of RFC 7692 §7.2.1. fflate's own `flush(true)` writes that block at the wrong
 * place whenever the partial byte is not empty (upstream fflate#267), so it is written here
 * from the state: the partial byte, then the block header's 3 zero bits (which spill into one
 * more byte when fewer than 3 bits are free), zero padding to the byte boundary, then LEN 0000
 * and NLEN ffff.
 */
export function syncFlush(state: DeflateState): Uint8Array {
  const r = state.r
  if (typeof r !== 'number') throw new Error('fflate engine: fflate is not the version it was written for (0.8.3): its Deflate state has no bit position')
  state.r = 0
  const bits = r & 7
  if (bits === 0) return Uint8Array.of(0, 0, 0, 0xff, 0xff)
  return bits <= 5 ? Uint8Array.of(r >>> 3, 0, 0, 0xff, 0xff) : Uint8Array.of(r >>> 3, 0, 0, 0, 0xff, 0xff)
}

/**
 * fflateMem is fflate's `mem` for a memory level: its hash table has 2^(12 + mem) entries, as
 * zlib's has 2^(memLevel + 7), so memLevel 5 or less is fflate's smallest (0), and the default,
 * 9 (mem 4), is 64 Ki entries (128 KiB). fflate's streaming default is 2^20 (2 MiB per
 * connection); zlib's default, 2^15.
 */
function fflateMem(memLevel = 9): 0 | 1 | 2 | 3 | 4 {
  return Math.max(0, memLevel - 5) as 0 | 1 | 2 | 3 | 4
}
/** Input is pushed in pieces of at most 64 KiB: larger ones would grow fflate's buffer, for good. */
const maxPush = 65536

/**
 * storedBlockFrom mends the first block of one of fflate's encoding calls when it is a stored
 * block (RFC 1951 §3.2.4): fflate copies it from the start of its buffer, not from `from`,
 * where the call's data starts (its block start begins at 0 in every call). Past the header
 * (3 bits from `bit`, then padding to the byte) come LEN, NLEN and the copied bytes: the
 * first `from` of them are dropped and LEN and NLEN rewritten. `chunk` is fflate's output,
 * owned by the engine; it is changed in place. Exported for tests.
 */
export function storedBlockFrom(chunk: Uint8Array, bit: number, from: number): Uint8Array {
  if (from === 0 || (((chunk[0] | (chunk[1] << 8)) >>> (bit + 1)) & 3) !== 0) return chunk
  const at = bit <= 5 ? 1 : 2
  const length = chunk[at] | (chunk[at + 1] << 8)
  if ((length ^ (chunk[at + 2] | (chunk[at + 3] << 8))) !== 0xffff || length < from || chunk.length < at + 4 + length) {
    throw new Error('fflate engine: fflate is not the version it was written for (0.8.3): an unexpected stored block')
  }
  const kept = length - from
  chunk.set([kept & 0xff, kept >>> 8, ~kept & 0xff, (~kept >>> 8) & 0xff], at)
  chunk.copyWithin(at + 4, at + 4 + from)
  return chunk.subarray(0, chunk.length - from)
}

/**
 * restart puts fflate's Deflate at the start of a new stream, at position 0 of its buffer. A
 * new Deflate starts at 32768, after 32 KiB of zeros, and lets a match reach 32 KiB back from
 * any position: its match finder can land up to 258 bytes before the stream's first byte and
 * refer to them where they equal the data, a distance no peer's window holds ("invalid
 * distance too far back"; into the previous message when the buffer was kept, issue 12). From
 * position 0 every match stays within the stream. The buffer is kept (a new Deflate would
 * allocate 220 KiB), and so are the hash chains, zeroed: what was compressed before leaves no
 * trace, and a message compresses to the same bytes whatever came before it.
 */
function restart(internals: DeflateInternals): void {
  const { h, p } = internals.s
  internals.s = { l: 0, i: 0, w: 0, z: 0, r: 0, h: h?.fill(0), p: p?.fill(0) }
}

class FflateDeflater implements RawDeflater {
  private readonly deflate: Deflate
  private readonly chunks: Uint8Array[] = []

  constructor(options: DeflaterOptions) {
    if (options.windowBits < 15) throw new RangeError('the fflate engine cannot limit its window below 15 bits: negotiate with minWindowBits 15')
    // Level 0 (stored blocks only) takes another path in fflate, which the mend below does not fit.
    checkLevel(options.level)
    checkMemLevel(options.memLevel)
    this.deflate = new Deflate({ level: (options.level ?? 6) as 6, mem: fflateMem(options.memLevel) }, (chunk) => this.chunks.push(chunk))
    const internals = this.internals
    restart(internals)
    // From position 0, a call that starts after earlier data (context takeover) can copy
    // that data into a stored block: each call's first block is mended.
    const encode = internals.p
    internals.p = (buffer, final) => {
      const from = internals.s.w
      const bit = internals.s.r! & 7 // set by restart, then by fflate
      encode.call(internals, buffer, final)
      const last = this.chunks.length - 1
      this.chunks[last] = storedBlockFrom(this.chunks[last], bit, from)
    }
  }

  private get internals(): DeflateInternals {
    return this.deflate as unknown as DeflateInternals
  }

  write(data: Uint8Array, last: boolean): Uint8Array {
    const chunks = this.chunks
    chunks.length = 0
    for (let at = 0; at < data.length; at += maxPush) this.deflate.push(data.subarray(at, at + maxPush))
    if (last) {
      // Only what was pushed since the last encoding call is encoded: with nothing (an empty
      // message, z = w), fflate would encode its whole buffer, stale bytes included (its
      // `st.z || dat.length`, with z 0 after a restart). The sync flush alone ends it.
      const state = this.internals.s
      if (state.z !== state.w) this.deflate.flush()
      chunks.push(syncFlush(state))
    }
    const out = concat(chunks)
    chunks.length = 0
    return out
  }

  /** reset starts a new stream (see {@link restart}): nothing after it refers back past it. */
  reset(): void {
    restart(this.internals)
  }
}

/**
 * fflateExpansion bounds fflate's output per input byte. Valid DEFLATE gives at most 1032 (a
 * 258-byte match costs at least two bits: a 1-bit length code and a 1-bit distance code),
 * but fflate also decodes the reserved length symbols 286 and 287 (as
 * lengths up to 261) instead of refusing them: 4 × 261.
 */
const fflateExpansion = 1044
/**
 * fastInput: messages with at most this many compressed bytes are inflated in one call into
 * a scratch buffer shared by every inflater (inflation is synchronous), which can hold the
 * most they can expand to: no per-message output buffer, and bounded work even for a bomb.
 */
const fastInput = 1022
/** finalBlock is an empty final fixed-Huffman block: fflate's one-shot inflate needs a BFINAL to stop. */
const finalBlock = Uint8Array.of(0x03, 0x00)
const scratchSize = (fastInput + finalBlock.length) * fflateExpansion
let scratch: Uint8Array | null = null
/** The shared scratch is in use: a sink that inflates on another inflater gets a buffer of its own. */
let scratchBusy = false
/** Streaming input is pushed to fflate in slices of 1 to 16 KiB (see FflateInflater.feed). */
const minSlice = 1024
const maxSlice = 16384

class FflateInflater implements RawInflater {
  /** The window, kept for the next message (context takeover); null when each message stands alone. */
  private readonly history: History | null
  /** The current message's compressed bytes, while it is small enough for the fast path (made at the first message). */
  private input: Uint8Array | null = null
  private inputSize = 0
  /** The current message's streaming inflater, once it has outgrown the fast path. */
  private stream: Inflate | null = null
  /** Streaming input waiting for a slice's worth. */
  private pending: Uint8Array | null = null
  private pendingSize = 0
  private sink: Sink | null = null
  private maxPiece = 0

  constructor(options: InflaterOptions) {
    this.history = options.keepContext ? new History() : null
  }

  write(data: Uint8Array, last: boolean, sink: Sink, maxPiece: number): void {
    if (this.stream === null && this.inputSize + data.length <= fastInput) {
      ;(this.input ??= new Uint8Array(fastInput + finalBlock.length)).set(data, this.inputSize)
      this.inputSize += data.length
      if (last) this.inflateInput(sink, maxPiece)
      return
    }
    this.sink = sink
    this.maxPiece = maxPiece
    if (this.stream === null) {
      this.stream = new Inflate(this.dictionary(), (chunk) => this.deliver(chunk, this.sink!, this.maxPiece))
      const held = this.input?.subarray(0, this.inputSize) ?? new Uint8Array(0)
      this.inputSize = 0
      this.feed(held)
    }
    this.feed(data)
    if (!last) return
    if (this.pendingSize > 0) this.stream.push(this.pending!.subarray(0, this.pendingSize))
    this.pendingSize = 0
    this.stream = null
  }

  /** inflateInput inflates the whole message held in `input` in one call (the fast path). */
  private inflateInput(sink: Sink, maxPiece: number): void {
    const held = this.input!
    held.set(finalBlock, this.inputSize)
    const input = held.subarray(0, this.inputSize + finalBlock.length)
    this.inputSize = 0
    const shared = scratchBusy ? null : (scratch ??= new Uint8Array(scratchSize))
    scratchBusy = true
    try {
      this.deliver(inflateSync(input, { out: shared ?? new Uint8Array(scratchSize), ...this.dictionary() }), sink, maxPiece)
    } finally {
      if (shared !== null) scratchBusy = false
    }
  }

  /**
   * feed passes streaming input to fflate in slices. Each push copies what fflate holds and
   * its 32 KiB window and allocates 128 KiB, so small pieces (a peer's one-byte fragments)
   * are gathered first, to at least 1 KiB. Each slice's output is at most fflateExpansion
   * times its size, so slices of `maxPiece / fflateExpansion` bytes (at most 16 KiB) bound
   * the work done past the limit to about max(1 MiB, the limit) and 17 MiB.
   */
  private feed(data: Uint8Array): void {
    const slice = Math.max(minSlice, Math.min(maxSlice, Math.floor(this.maxPiece / fflateExpansion)))
    const pending = (this.pending ??= new Uint8Array(maxSlice))
    let at = 0
    while (at < data.length) {
      if (this.pendingSize >= slice) {
        this.stream!.push(pending.subarray(0, this.pendingSize)) // fflate copies what it keeps
        this.pendingSize = 0
      } else if (this.pendingSize === 0 && data.length - at >= slice) {
        this.stream!.push(data.subarray(at, at + slice))
        at += slice
      } else {
        const take = Math.min(slice - this.pendingSize, data.length - at)
        pending.set(data.subarray(at, at + take), this.pendingSize)
        this.pendingSize += take
        at += take
      }
    }
    if (this.pendingSize >= slice) {
      this.stream!.push(pending.subarray(0, this.pendingSize))
      this.pendingSize = 0
    }
  }

  /**
   * release drops the input buffers (1 and 16 KiB, made again when needed) and moves the
   * window kept for context takeover into a buffer of exactly its size (32 KiB, from 64):
   * later messages may refer to it.
   */
  release(): void {
    this.input = null
    this.pending = null
    this.history?.compact()
  }

  /** dictionary is fflate's option for the window kept from earlier messages, when there is one. */
  private dictionary(): { dictionary?: Uint8Array } {
    const view = this.history?.view()
    return view !== undefined && view.length > 0 ? { dictionary: view } : {}
  }

  private deliver(output: Uint8Array, sink: Sink, maxPiece: number): void {
    for (let at = 0; at < output.length; at += maxPiece) {
      const piece = output.subarray(at, at + maxPiece)
      this.history?.append(piece)
      sink(piece)
    }
  }
}

/**
 * fflateEngine is the default engine: fflate's raw DEFLATE, in plain JavaScript (portable to
 * browsers, Bun, Deno). Its sync flush is written by this engine (fflate 0.8.3's is corrupt
 * for most inputs, upstream #267), and its output is checked against node:zlib by a
 * differential property test. It compresses with a 32 KiB window only (`minWindowBits` 15)
 * and inflates any window. Compression level 6 unless set.
 */
export const fflateEngine: DeflateEngine = {
  name: 'fflate',
  minWindowBits: 15,
  createDeflater: (options) => new FflateDeflater(options),
  createInflater: (options) => new FflateInflater(options),
}
