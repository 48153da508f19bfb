/** How many bytes of free buffers a pool keeps, at most, for the whole process. */
export const pooledBytes = 1024 * 1024

/**
 * BufferPool lends {@link BatchWriter}s the buffers they gather a tick's frames in, one size per
 * pool, shared by every writer in the process: a writer takes one for the first frame of a
 * batch and gives it back when the socket's write callback says the bytes were taken, so an
 * idle connection holds no buffer at all, and a process writing to many sockets one after
 * another reuses the same few. The pool owns the buffers it holds; a writer owns one from
 * `take()` until `give()`, and never gives back one a socket may still read (a write that
 * failed). It keeps at most {@link pooledBytes} of free buffers (and at least two); more are
 * left to the garbage collector.
 */
export class BufferPool {
  /** The size of every buffer of this pool. */
  readonly size: number
  /** How many free buffers it keeps at most. */
  readonly keep: number
  private readonly free: Buffer[] = []

  /** new BufferPool(size) lends buffers of `size` bytes. */
  constructor(size: number) {
    this.size = size
    this.keep = Math.max(2, Math.floor(pooledBytes / size))
  }

  /** take lends a buffer: a free one, or a new one (`Buffer.allocUnsafeSlow`, contents unset). */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size)
  }

  /** give takes a buffer back, once no socket will read it again; kept if the pool has room. */
  give(buffer: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buffer)
  }

  /** idle is how many free buffers the pool holds. */
  get idle(): number {
    return this.free.length
  }
}

const pools = new Map<number, BufferPool>()

/** bufferPool is the process's pool of buffers of `size` bytes, made on first use. */
export function bufferPool(size: number): BufferPool {
  let pool = pools.get(size)
  if (pool === undefined) {
    pool = new BufferPool(size)
    pools.set(size, pool)
  }
  return pool
}
