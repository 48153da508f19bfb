import type * as Zlib from 'node:zlib'
import { type DeflateEngine, type DeflaterOptions, EngineUnavailableError, type InflaterOptions, type RawDeflater, type RawInflater, type Sink } from './engine.js'
import { RingHistory } from './ring-history.js'
import { checkLevel, checkMemLevel } from './level.js'
import { type Unchecked, zlibProblem } from './zlib-probe.js'

/**
 * The binding under every node:zlib stream: `writeSync` runs zlib's deflate() or inflate()
 * once, synchronously, and leaves the output and input space left in `_writeState`. It is
 * what Node's own `deflateRawSync` uses; node:zlib offers no public synchronous API that keeps
 * a stream's state from call to call, which context takeover needs.
 */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void
  reset(): void
  onerror: (message: string, errno: number) => void
}
interface ZlibInternals {
  _handle?: ZlibHandle | null
  _writeState?: Uint32Array
}

/** ZlibModule is node:zlib, given by the caller: this file imports nothing at run time, so the main entry can load it anywhere. */
export type ZlibModule = typeof Zlib
/** zlib's flush values (zlib.h): the same in every build. */
const Z_NO_FLUSH = 0
const Z_SYNC_FLUSH = 2
const outputSize = 64 * 1024
/** Free output space for writeSync: lent for one call, so no engine holds any between calls. */
const scratch: Buffer[] = []
/** How many free output buffers the process keeps (reentrant sinks and nothing else need more than one). */
const keepScratch = 4
const empty = new Uint8Array(0)
/**
 * The stream's own output buffer, never used (output goes to the lent space): node:zlib's
 * smallest, Z_MIN_CHUNK, instead of its default 16 KiB per stream.
 */
const minChunk = 64

/** takeScratch lends a 64 KiB output buffer for one call. */
function takeScratch(): Buffer {
  return scratch.pop() ?? Buffer.allocUnsafeSlow(outputSize)
}

/** giveScratch takes an output buffer back once nothing refers to its bytes. */
function giveScratch(buffer: Buffer): void {
  if (scratch.length < keepScratch) scratch.push(buffer)
}

/** NativeStream drives one zlib stream synchronously through its binding (exported for tests only). */
export class NativeStream {
  private readonly stream: Zlib.DeflateRaw | Zlib.InflateRaw
  private readonly handle: ZlibHandle
  private readonly state: Uint32Array
  private error: Error | null = null
  private closed = false

  constructor(stream: Zlib.DeflateRaw | Zlib.InflateRaw) {
    const internals = stream as unknown as ZlibInternals
    const handle = internals._handle
    if (typeof handle?.writeSync !== 'function' || !(internals._writeState instanceof Uint32Array)) {
      stream.close()
      throw new EngineUnavailableError('zlib', "this runtime's node:zlib has no synchronous stream binding (Node.js and Bun have)")
    }
    this.stream = stream
    this.handle = handle
    this.state = internals._writeState
    // Errors come through this callback, synchronously inside writeSync; node:zlib's own
    // would destroy the stream and emit 'error' later.
    handle.onerror = (message) => {
      this.error = new Error(`zlib: ${message}`)
    }
  }

  /**
   * step runs zlib once over `data` from `inOffset`, writing to `out` from `outOffset` up to
   * `outEnd`. Returns the output end; `inLeft` tells how much input remains.
   */
  step(flush: number, data: Uint8Array, inOffset: number, out: Uint8Array, outOffset: number, outEnd: number): number {
    // A closed handle used again fails a native assertion and aborts the process.
    if (this.closed) throw new Error('zlib engine: used after close()')
    this.handle.writeSync(flush, data, inOffset, data.length - inOffset, out, outOffset, outEnd - outOffset)
    if (this.error !== null) throw this.error
    return outEnd - this.state[0]
  }

  get inLeft(): number {
    return this.state[1]
  }

  reset(): void {
    this.handle.reset()
  }

  close(): void {
    this.closed = true
    this.stream.close()
  }
}

/** deflateStream checks `options` and opens a raw deflate stream for them (zlib allocates its state at the first write). */
function deflateStream(zlib: ZlibModule, options: DeflaterOptions): Zlib.DeflateRaw {
  if (options.windowBits < 9) throw new RangeError('the zlib engine cannot limit its window below 9 bits: negotiate with minWindowBits 9')
  checkLevel(options.level)
  checkMemLevel(options.memLevel)
  return zlib.createDeflateRaw({ level: options.level ?? 6, windowBits: options.windowBits, memLevel: options.memLevel ?? 8, chunkSize: minChunk })
}

/**
 * deflaterOffThread makes a compressor whose zlib state is allocated on libuv's threadpool:
 * node:zlib allocates a stream's state at its first write, in the writing thread, and an
 * asynchronous write runs on the threadpool, whose threads have C allocator arenas of their
 * own that glibc gives back to the system when the state is freed; state allocated on the
 * main thread stays in the process after close (bench/zlib-arena.ts). The first write is an
 * empty sync flush (an empty stored block, discarded): the stream then starts the next
 * message on a byte boundary, as a new one would.
 */
function deflaterOffThread(zlib: ZlibModule, options: DeflaterOptions): Promise<RawDeflater> {
  const stream = deflateStream(zlib, options)
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => {
      stream.close()
      reject(error)
    }
    // A zlib error destroys the stream and emits 'error'; the flush's callback then never runs.
    stream.once('error', failed)
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('error', failed)
      try {
        resolve(new ZlibDeflater(stream))
      } catch (error) {
        failed(error as Error)
      }
    })
  })
}

class ZlibDeflater implements RawDeflater {
  private readonly native: NativeStream

  constructor(stream: Zlib.DeflateRaw) {
    this.native = new NativeStream(stream)
  }

  /**
   * write compresses into lent output space and returns the output as the caller's own bytes:
   * a copy of exactly its size, or, for output past 64 KiB, the buffer grown for it.
   */
  write(data: Uint8Array, last: boolean): Uint8Array {
    const native = this.native
    const flush = last ? Z_SYNC_FLUSH : Z_NO_FLUSH
    const lent = takeScratch()
    let out = lent
    let inOffset = 0
    let end = 0
    try {
      for (;;) {
        end = native.step(flush, data, inOffset, out, end, out.length)
        inOffset = data.length - native.inLeft
        if (end < out.length) break
        // The output filled its buffer: double it, keeping what was written, and go on.
        const grown = Buffer.allocUnsafe(out.length * 2)
        out.copy(grown)
        out = grown
      }
      if (out !== lent) return out.subarray(0, end)
      return end === 0 ? empty : Buffer.from(lent.subarray(0, end))
    } finally {
      giveScratch(lent)
    }
  }

  reset(): void {
    this.native.reset()
  }

  close(): void {
    this.native.close()
  }
}

class ZlibInflater implements RawInflater {
  private readonly windowBits: number
  private readonly history: RingHistory | null
  /** The zlib stream: opened at the first write, closed by `release` and opened again at the next. */
  private native: NativeStream | null = null
  private readonly zlib: ZlibModule
  /** The stream ended inside this message (a BFINAL block): the rest of the message is ignored. */
  private ended = false
  /** close() was called: no stream is opened again. */
  private closed = false

  constructor(zlib: ZlibModule, options: InflaterOptions) {
    this.zlib = zlib
    // zlib makes a raw deflater's 8-bit window 9 bits, and so do peers built on it: inflate
    // with at least 9 (a decompressor may use a larger window than the compressor's).
    this.windowBits = Math.max(9, options.windowBits)
    // The peer's window is all a message can refer back to: that much history, no more.
    this.history = options.keepContext ? new RingHistory(1 << this.windowBits) : null
  }

  write(data: Uint8Array, last: boolean, sink: Sink, maxPiece: number): void {
    if (this.closed) throw new Error('zlib engine: used after close()')
    const native = (this.native ??= this.open())
    // Output space lent for this call; a sink that inflates elsewhere is lent other space.
    const out = takeScratch()
    const outLength = Math.min(out.length, maxPiece)
    let inOffset = 0
    try {
      while (!this.ended) {
        const end = native.step(Z_SYNC_FLUSH, data, inOffset, out, 0, outLength)
        inOffset = data.length - native.inLeft
        if (end > 0) {
          const piece = out.subarray(0, end)
          this.history?.append(piece)
          sink(piece)
        }
        if (end === outLength) continue
        // Room was left: zlib took all it could. Input left over means the stream ended.
        this.ended = native.inLeft > 0
        break
      }
    } finally {
      giveScratch(out)
    }
    if (!last) return
    if (this.ended) {
      // After a BFINAL block the stream is over: the next message continues from the last
      // 32 KiB (RFC 7692 §7.2.3.4), in a new stream that has them as its dictionary.
      this.release()
    } else if (this.history === null) {
      native.reset()
    }
  }

  /**
   * release closes the zlib stream (its state and its own copy of the window); the next
   * write opens one with the kept window as its dictionary, which continues the peer's
   * stream exactly (a message starts on a block boundary, RFC 7692 §7.2.1).
   */
  release(): void {
    this.native?.close()
    this.native = null
    this.ended = false
  }

  private open(): NativeStream {
    const dictionary = this.history?.copy()
    return new NativeStream(this.zlib.createInflateRaw({ windowBits: this.windowBits, chunkSize: minChunk, ...(dictionary !== undefined && dictionary.length > 0 ? { dictionary } : {}) }))
  }

  close(): void {
    this.closed = true
    this.release()
  }
}

const engines = new WeakMap<ZlibModule, DeflateEngine>()
/** isBun: this runtime is Bun, whose node:zlib and allocator are its own. */
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'
const problems = new WeakMap<ZlibModule, string | null>()

/**
 * problemOn is why the zlib engine cannot work on `zlib` (see `zlibProblem` in zlib-probe.ts),
 * or null: checked once per module, on first use.
 */
export function problemOn(zlib: ZlibModule): string | null {
  let problem = problems.get(zlib)
  if (problem === undefined) {
    const raw: Unchecked = { createDeflater: (options) => new ZlibDeflater(deflateStream(zlib, options)), createInflater: (options) => new ZlibInflater(zlib, options) }
    problem = zlibProblem(raw)
    problems.set(zlib, problem)
  }
  return problem
}

/** checked throws EngineUnavailableError where the zlib engine cannot work. */
function checked(zlib: ZlibModule): void {
  const problem = problemOn(zlib)
  if (problem !== null) throw new EngineUnavailableError('zlib', problem)
}

/**
 * zlibEngineOn is the zlib engine on a given node:zlib (`zlibEngine` in
 * `@ws-toolkit/ws-flate/zlib` is it on Node's): one zlib stream per direction kept from
 * message to message, driven synchronously, faster than fflate, and able to hold its
 * compressor to any window from 9 to 15 bits (`minWindowBits` 9; zlib has no 8-bit raw
 * window). It drives the binding under node:zlib's streams (the one Node's `deflateRawSync`
 * uses), into output space lent per call (no engine holds any between calls): a compressor's
 * output is the caller's own. Its first `createDeflater` or `createInflater` checks that runtime's node:zlib once
 * (a takeover round trip and RFC 7692 §7.2.3.4's restart after a BFINAL block) and, where it
 * fails, this and every later call throws {@link EngineUnavailableError}: on Deno (2.9),
 * whose raw inflater ignores its dictionary, and where the binding is missing. On Bun it
 * works; Bun's zlib build compresses less at levels 1-6 than Node's (a 100 KB repetitive
 * JSON message: 640 bytes at level 6 against Node's 295; the same at 9), exactly as that
 * runtime's own `deflateRawSync` does. Each deflater holds about 215 KiB of native memory at
 * 15 bits and memLevel 8 (`memLevel` and smaller windows hold less), each inflater with
 * context takeover about 20 KiB of native memory plus the window it has inflated (up to
 * 32 KiB at 15 bits), and only that window after `release()`: call `close()` when a
 * connection ends (garbage collection frees them otherwise). On Node.js,
 * `createDeflaterOffThread` makes a compressor whose state is allocated on libuv's
 * threadpool, which glibc gives back to the system after close (see `OffThreadDeflater`; `PerMessageDeflate` uses it
 * for context takeover). Compression level 6 unless set. The same module gives the
 * same engine.
 */
export function zlibEngineOn(zlib: ZlibModule): DeflateEngine {
  let engine = engines.get(zlib)
  if (engine === undefined) {
    engine = {
      name: 'zlib',
      minWindowBits: 9,
      createDeflater: (options) => (checked(zlib), new ZlibDeflater(deflateStream(zlib, options))),
      // Only on Node.js, whose glibc arenas are the reason for it (Bun allocates otherwise).
      ...(isBun ? {} : { createDeflaterOffThread: async (options: DeflaterOptions) => (checked(zlib), deflaterOffThread(zlib, options)) }),
      createInflater: (options) => (checked(zlib), new ZlibInflater(zlib, options)),
    }
    engines.set(zlib, engine)
  }
  return engine
}
