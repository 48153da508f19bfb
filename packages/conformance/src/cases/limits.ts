// Section 9, limits and performance: large messages (64 KiB to 16 MiB), a 4 MiB message in
// fragments from 64 bytes to 4 MiB, a 1 MiB message in socket writes from 64 to 2048 bytes,
// and 1000 round trips of small messages. Every one must be echoed intact (RFC 6455 §5.4,
// §5.6); how long each took is in the report. `quick` (for CI) shortens them: messages up to
// 4 MiB, 1 MiB in fragments from 256 bytes, socket writes 4 times larger, 100 round trips.
// It never drops a case.
import { type Case, echoes, message } from '../case.js'
import { roundTrips } from './delivery.js'

const KiB = 1024
const MiB = 1024 * KiB
const rfc = 'RFC 6455 §5.4, §5.6'

function sizeName(size: number): string {
  return size >= MiB ? `${size / MiB} MiB` : size >= KiB ? `${size / KiB} KiB` : `${size} B`
}

export function limitsCases(quick: boolean): Case[] {
  const cases: Case[] = []
  const largest = quick ? 4 * MiB : 16 * MiB
  const text = new Uint8Array(largest).fill(0x2a)
  const binary = new Uint8Array(largest).fill(0xfe)
  const timeoutMs = 120_000
  for (const [group, opCode, payloads] of [[1, 1, text], [2, 2, binary]] as const) {
    const kind = opCode === 1 ? 'text' : 'binary'
    const sizes = quick ? [64 * KiB, 256 * KiB, MiB, 2 * MiB, 3 * MiB, 4 * MiB] : [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB]
    sizes.forEach((size, i) => {
      const payload = payloads.subarray(0, size)
      cases.push({
        id: `9.${group}.${i + 1}`, description: `Send a ${kind} message of ${sizeName(size)} in one frame.`, expectation: 'The peer echoes it intact.', rfc, timeoutMs,
        run: (s) => s.send({ opCode, payload }), ok: echoes(message(opCode, payload)),
      })
    })
    const fragmented = quick ? MiB : 4 * MiB
    const smallest = quick ? 256 : 64
    const fragmentSizes = [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB].map((size) => Math.min(Math.max(size, smallest), fragmented))
    fragmentSizes.forEach((fragmentSize, i) => {
      const payload = payloads.subarray(0, fragmented)
      cases.push({
        id: `9.${group + 2}.${i + 1}`, description: `Send a ${kind} message of ${sizeName(fragmented)} in fragments of ${sizeName(fragmentSize)}.`,
        expectation: 'The peer echoes it intact.', rfc, timeoutMs,
        run: (s) => s.sendMessage(opCode, payload, fragmentSize), ok: echoes(message(opCode, payload)),
      })
    })
    const chopped = MiB
    ;[64, 128, 256, 512, 1024, 2048].map((chop) => (quick ? chop * 4 : chop)).forEach((chop, i) => {
      const payload = payloads.subarray(0, chopped)
      cases.push({
        id: `9.${group + 4}.${i + 1}`, description: `Send a ${kind} message of 1 MiB in one frame, written in socket writes of ${chop} bytes.`,
        expectation: 'The peer echoes it intact.', rfc, timeoutMs,
        run: (s) => s.sendChopped([{ opCode, payload }], chop), ok: echoes(message(opCode, payload)),
      })
    })
    const trips = quick ? 100 : 1000
    ;[0, 16, 64, 256, 1024, 4096].forEach((size, i) => {
      const payload = payloads.subarray(0, size)
      cases.push({
        id: `9.${group + 6}.${i + 1}`, description: `Send ${trips} ${kind} messages of ${size} bytes, each after the echo of the one before.`,
        expectation: 'The peer echoes every message, in order.', rfc, timeoutMs,
        run: (s) => roundTrips(s, opCode, Array.from({ length: trips }, () => payload), 0, timeoutMs),
        ok: echoes(...Array.from({ length: trips }, () => message(opCode, payload))),
      })
    })
  }
  return cases
}

const text64k = new Uint8Array(65536).fill(0x2a)
const binary64k = new Uint8Array(65536).fill(0xfe)

export const autoFragmentationCases: Case[] = [
  {
    id: '10.1.1', description: 'Send a text message of 64 KiB in one frame.',
    expectation: 'The peer echoes it intact, in one frame or fragmented as it likes (an intermediary or endpoint may fragment, §5.4).',
    rfc: 'RFC 6455 §5.4', run: (s) => s.send({ opCode: 1, payload: text64k }), ok: echoes(message(1, text64k)),
  },
  {
    id: '10.1.2', description: 'Send a binary message of 64 KiB in fragments of 1300 bytes.',
    expectation: 'The peer echoes it intact, fragmented as it likes.',
    rfc: 'RFC 6455 §5.4', run: (s) => s.sendMessage(2, binary64k, 1300), ok: echoes(message(2, binary64k)),
  },
]
