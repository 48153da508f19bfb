// Frames per second for reading and checking the headers of masked client frames packed in
// one buffer: ws-core against ws's own Receiver (JS masking and bufferutil). Not a test.
//
// ws's Receiver cannot skip unmasking or message assembly, so ws-core is measured twice:
// headers only (readHeader + checkHeader + advanceState), and headers plus an in-place unmask
// of every payload, the like-for-like comparison.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  advanceState, checkHeader, cipher, compileFrame, maskFrameWith, newBinaryFrame, newHeader, newProtocolState, readHeader,
} from '@ws-toolkit/ws-core'
import { measure, table, writeResult } from './lib/measure.js'
import { loadWs, type WsVariant } from './lib/ws.js'

const payloadSizes = [16, 1024]
const bufferBytes = 256 * 1024

/** packedFrames returns masked binary frames of `size` bytes back to back, about 256 KiB in all. */
function packedFrames(size: number): { bytes: Buffer; count: number } {
  const frame = compileFrame(maskFrameWith(newBinaryFrame(new Uint8Array(size).fill(7)), 0x11223344))
  const count = Math.floor(bufferBytes / frame.length)
  const bytes = Buffer.alloc(frame.length * count)
  for (let i = 0; i < count; i++) bytes.set(frame, i * frame.length)
  return { bytes, count }
}

function wsCore(bytes: Buffer, unmask: boolean): number {
  const header = newHeader()
  const state = newProtocolState('server')
  let frames = 0
  let offset = 0
  while (offset < bytes.length) {
    const size = readHeader(bytes, offset, header)
    if (size === 0) break
    checkHeader(header, state)
    advanceState(state, header)
    offset += size
    if (unmask) cipher(bytes.subarray(offset, offset + header.length), header.mask, 0)
    offset += header.length
    frames++
  }
  return frames
}

interface Receiver {
  on(event: 'message', listener: () => void): void
  on(event: 'error', listener: (error: Error) => void): void
  write(chunk: Buffer): boolean
}

/** Runs in a child process per variant: ws chooses its masking once per process. */
function wsReceiverRate(variant: WsVariant, size: number): number {
  const Receiver = loadWs<new (options: object) => Receiver>('receiver.js', variant)
  const { bytes, count } = packedFrames(size)
  const receiver = new Receiver({ isServer: true, allowSynchronousEvents: true })
  let messages = 0
  receiver.on('message', () => messages++)
  receiver.on('error', (error) => {
    throw error
  })
  const rate = measure(() => receiver.write(bytes)) * count
  if (messages === 0) throw new Error('ws Receiver emitted no message')
  return rate
}

if (process.argv[2] === '--ws-receiver') {
  console.log(JSON.stringify(wsReceiverRate(process.argv[3] as WsVariant, Number(process.argv[4]))))
} else {
  const child = (variant: WsVariant, size: number): number => {
    const result = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--ws-receiver', variant, String(size)], { encoding: 'utf8' })
    if (result.status !== 0) throw new Error(result.stderr)
    return Number(result.stdout.trim())
  }
  const rows: string[][] = []
  const results: Record<string, unknown>[] = []
  for (const size of payloadSizes) {
    const { bytes, count } = packedFrames(size)
    if (wsCore(bytes, true) !== count) throw new Error('ws-core did not read every frame')
    const headersOnly = measure(() => wsCore(bytes, false)) * count
    const withUnmask = measure(() => wsCore(bytes, true)) * count
    const wsJs = child('js', size)
    const wsNative = child('bufferutil', size)
    const m = (rate: number) => (rate / 1e6).toFixed(2)
    rows.push([`${size} B`, m(headersOnly), m(withUnmask), m(wsJs), m(wsNative),
      `${(headersOnly / wsNative).toFixed(1)}x`, `${(withUnmask / wsJs).toFixed(1)}x`, `${(withUnmask / wsNative).toFixed(1)}x`])
    results.push({ payload: size, framesPerSecond: { wsCoreHeaders: headersOnly, wsCoreHeadersUnmask: withUnmask, wsReceiverJs: wsJs, wsReceiverBufferutil: wsNative } })
  }
  console.log('masked client frames read and checked, millions of frames/s, best of 5 rounds\n')
  table(['payload', 'ws-core headers', 'ws-core +unmask', 'ws Receiver JS', 'ws Receiver+bufferutil',
    'headers vs ws best', '+unmask vs ws JS', '+unmask vs ws+bu'], rows)
  writeResult('header', results)
}
