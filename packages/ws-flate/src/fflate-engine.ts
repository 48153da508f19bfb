import { Deflate, Inflate, inflateSync } from 'fflate'
import { type DeflateEngine, type DeflaterOptions, type InflaterOptions, maxExpansion, type RawDeflater, type RawInflater, type Sink } from './engine.js'
import { History } from './history.js'

/**
 * fflate's Deflate keeps its state in `s` (fflate 0.8.3, which package.json pins exactly):
 * after a flush, `r` holds the last, partial output byte (`r >> 3`) and how many of its bits
 * are used (`r & 7`); that byte has not been emitted yet.
 */
interface DeflateState {
  r?: number
}
interface DeflateInternals {
  s: DeflateState
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

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]
  let size = 0
  for (const chunk of chunks) size += chunk.length
  const out = new Uint8Array(size)
  size = 0
  for (const chunk of chunks) {
    out.set(chunk, size)
    size += chunk.length
  }
  return out
}

class FflateDeflater implements RawDeflater {
  private readonly level: number
  private deflate!: Deflate
  private readonly chunks: Uint8Array[] = []

  constructor(options: DeflaterOptions) {
    if (options.windowBits < 15) throw new RangeError('the fflate engine cannot limit its window below 15 bits: negotiate with minWindowBits 15')
    this.level = options.level ?? 6
    this.reset()
  }

  write(data: Uint8Array, last: boolean): Uint8Array {
    const chunks = this.chunks
    chunks.length = 0
    if (data.length > 0) this.deflate.push(data)
    if (last) {
      this.deflate.flush()
      chunks.push(syncFlush((this.deflate as unknown as DeflateInternals).s))
    }
    const out = chunks.length === 0 ? new Uint8Array(0) : concat(chunks)
    chunks.length = 0
    return out
  }

  reset(): void {
    this.deflate = new Deflate({ level: this.level as 6 }, (chunk) => this.chunks.push(chunk))
  }
}

/**
 * fastInput: messages with at most this many compressed bytes are inflated in one call into
 * a scratch buffer shared by every inflater (inflation is synchronous), which can hold the
 * most they can expand to: no per-message output buffer, and bounded work even for a bomb.
 */
const fastInput = 1022
let scratch: Uint8Array | null = null

/** finalBlock is an empty final fixed-Huffman block: fflate's one-shot inflate needs a BFINAL to stop. */
const finalBlock = Uint8Array.of(0x03, 0x00)

class FflateInflater implements RawInflater {
  /** The window, kept for the next message (context takeover); null when each message stands alone. */
  private readonly history: History | null
  /** The current message's compressed bytes, while it is small enough for the fast path. */
  private readonly input = new Uint8Array(fastInput + finalBlock.length)
  private inputSize = 0
  /** The current message's streaming inflater, once it has outgrown the fast path. */
  private stream: Inflate | null = null
  private sink: Sink | null = null
  private maxPiece = 0

  constructor(options: InflaterOptions) {
    this.history = options.keepContext ? new History() : null
  }

  write(data: Uint8Array, last: boolean, sink: Sink, maxPiece: number): void {
    if (this.stream === null && this.inputSize + data.length <= fastInput) {
      this.input.set(data, this.inputSize)
      this.inputSize += data.length
      if (!last) return
      this.input.set(finalBlock, this.inputSize)
      const size = this.inputSize + finalBlock.length
      this.inputSize = 0
      scratch ??= new Uint8Array((fastInput + finalBlock.length) * maxExpansion)
      this.deliver(inflateSync(this.input.subarray(0, size), { out: scratch, dictionary: this.dictionary() }), sink, maxPiece)
      return
    }
    this.sink = sink
    this.maxPiece = maxPiece
    if (this.stream === null) {
      this.stream = new Inflate({ dictionary: this.dictionary() }, (chunk) => this.deliver(chunk, this.sink!, this.maxPiece))
      const held = this.input.subarray(0, this.inputSize)
      this.inputSize = 0
      this.push(held)
    }
    this.push(data)
    if (last) this.stream = null
  }

  /**
   * push feeds the stream in slices: each slice's output is at most maxExpansion times its
   * size, so slices of `maxPiece / maxExpansion` bytes (at least 1 KiB, for speed: each push
   * allocates; at most 16 KiB) bound the work done past the limit to max(1 MiB, the limit)
   * and 16 MiB.
   */
  private push(data: Uint8Array): void {
    const slice = Math.max(1024, Math.min(16384, Math.floor(this.maxPiece / maxExpansion)))
    for (let at = 0; at < data.length; at += slice) this.stream!.push(data.subarray(at, at + slice))
  }

  private dictionary(): Uint8Array | undefined {
    const view = this.history?.view()
    return view !== undefined && view.length > 0 ? view : undefined
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
