import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib'
import { createServer, type Server, type Socket } from 'node:net'
import { Duplex, Writable } from 'node:stream'

export const ascii = (s: string) => Buffer.from(s, 'latin1')

export const sampleRequest = 'GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'

/**
 * certificate makes a self-signed P-256 certificate with these subjectAltNames
 * (`DNS:localhost,IP:127.0.0.1`) with openssl, in a temp dir the teardown removes.
 */
export function certificate(t: { teardown(fn: () => void): void }, altNames: string): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'ws-util-cert-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', `subjectAltName=${altNames}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }
}

/** freePort finds a loopback port nobody listens on (for a server that needs a number in its configuration file). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** tempDir makes a temp dir that the teardown removes. */
export function tempDir(t: { teardown(fn: () => void): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** listen starts a loopback TCP server handing each socket to `onSocket`; closed by teardown. */
export async function listen(t: { teardown(fn: () => void): void }, onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return { server, port: (server.address() as { port: number }).port }
}

/** collect resolves with every byte `socket` receives until it ends or closes. */
export function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  socket.on('data', (chunk) => chunks.push(chunk))
  return new Promise((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks))))
}

/**
 * Sink is a Writable that records each write: the chunk as written (to check identity) and a
 * copy of its bytes at write time. `hold` keeps callbacks back until `release()`, as a socket
 * that has not taken the bytes yet would.
 */
export class Sink extends Writable {
  readonly chunks: Buffer[] = []
  readonly copies: Buffer[] = []
  hold = false
  private held: (() => void)[] = []

  constructor(highWaterMark = 16384) {
    super({ highWaterMark })
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk)
    this.copies.push(Buffer.from(chunk))
    if (this.hold) this.held.push(callback)
    else callback()
  }

  /** release calls back every write held so far. */
  release(): void {
    this.hold = false
    for (const callback of this.held.splice(0)) callback()
  }

  /** bytes is everything written, as it was at write time. */
  bytes(): Buffer {
    return Buffer.concat(this.copies)
  }
}

/** tick waits for the current tick's deferred work (process.nextTick) and pending I/O callbacks. */
export const tick = () => new Promise((resolve) => setImmediate(resolve))

/**
 * Wire is a Duplex standing in for a socket whose chunking the test decides: `feed` is what
 * arrives from the peer, `written` what this side wrote. TCP's own chunking is not
 * deterministic, so tests that are about chunk boundaries use this.
 */
export class Wire extends Duplex {
  readonly written: Buffer[] = []

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.written.push(Buffer.from(chunk))
    callback()
  }

  override _final(callback: () => void): void {
    if (!this.readableEnded) this.push(null)
    callback()
  }

  feed(...chunks: Uint8Array[]): void {
    // Pushed as they are (a Buffer view, not a copy), as a socket hands over its reads.
    for (const chunk of chunks) this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
  }

  bytes(): Buffer {
    return Buffer.concat(this.written)
  }
}

/**
 * oneShotCompression is permessage-deflate without context takeover (RFC 7692 §7.2) on
 * node:zlib's one-shot API: a real compressor and decompressor for the hook tests (ws-util
 * does not depend on ws-flate, whose tests run the hooks with its engines). Compressed output
 * is returned in a buffer reused at the next call, as an engine's may be; the decompressor
 * hands output to its sink in pieces of `pieceSize`.
 */
export function oneShotCompression(options: { threshold?: number | undefined; pieceSize?: number | undefined } = {}) {
  const { threshold = 0, pieceSize = 65536 } = options
  const held: Buffer[] = []
  let reused = Buffer.alloc(0)
  const inflating: Buffer[] = []
  const compressor = {
    calls: 0,
    resets: 0,
    reset(): void {
      held.length = 0
      compressor.resets++
    },
    compress(payload: Uint8Array): Uint8Array | null {
      compressor.calls++
      return payload.length < threshold ? null : compressor.write(payload, true)
    },
    write(piece: Uint8Array, last: boolean): Uint8Array {
      held.push(Buffer.from(piece))
      if (!last) return new Uint8Array(0)
      const out = deflateRawSync(Buffer.concat(held.splice(0)), { finishFlush: zlibConstants.Z_SYNC_FLUSH })
      if (reused.length < out.length) reused = Buffer.alloc(out.length)
      out.copy(reused)
      return reused.subarray(0, out.length - 4)
    },
  }
  const decompressor = {
    /** The limits the reader passed, call by call. */
    limits: [] as (number | undefined)[],
    write(piece: Uint8Array, _sink: unknown, limit?: number): void {
      decompressor.limits.push(limit)
      inflating.push(Buffer.from(piece))
    },
    end(sink: (chunk: Uint8Array) => void, limit?: number): void {
      decompressor.limits.push(limit)
      const data = Buffer.concat([...inflating.splice(0), Buffer.of(0, 0, 0xff, 0xff)])
      const out = inflateRawSync(data, { finishFlush: zlibConstants.Z_SYNC_FLUSH })
      for (let at = 0; at < out.length; at += pieceSize) sink(out.subarray(at, at + pieceSize))
    },
  }
  /** inflate decompresses one message's payload, for checking what a writer sent. */
  const inflate = (payload: Uint8Array) => inflateRawSync(Buffer.concat([payload, Buffer.of(0, 0, 0xff, 0xff)]), { finishFlush: zlibConstants.Z_SYNC_FLUSH })
  return { compressor, decompressor, inflate }
}
