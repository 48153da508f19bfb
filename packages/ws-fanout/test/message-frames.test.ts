// The frames a node builds for one message: exact bytes uncompressed, and compressed ones
// checked against node:zlib (RFC 7692 §7.2.2: add 00 00 ff ff, inflate with the window).
import { constants, inflateRawSync } from 'node:zlib'
import t from 'tap'
import { fflateEngine, type DeflateAgreement } from '@ws-toolkit/ws-flate'
import { zlibEngine } from '@ws-toolkit/ws-flate/zlib'
import { MessageFrames, SharedDeflaters } from '../src/message-frames.js'

const agreement = (serverMaxWindowBits: number, serverNoContextTakeover = true): DeflateAgreement => ({ serverNoContextTakeover, clientNoContextTakeover: false, serverMaxWindowBits, clientMaxWindowBits: 15 })
const text = Buffer.from(JSON.stringify(Array.from({ length: 60 }, (_, i) => ({ user: `user ${i % 7}`, text: 'hello there, how are you' }))))

function inflate(frame: Uint8Array, bits: number): Buffer {
  t.equal(frame[0], 0x80 | 0x40 | 0x01, 'FIN, RSV1, text')
  const length = frame[1]! & 0x7f
  const start = length === 126 ? 4 : length === 127 ? 10 : 2
  return inflateRawSync(Buffer.concat([frame.subarray(start), Buffer.of(0, 0, 0xff, 0xff)]), { windowBits: bits, finishFlush: constants.Z_SYNC_FLUSH })
}

t.test('the uncompressed frame: exact bytes, built once', async (t) => {
  const frames = new MessageFrames(false, Buffer.from('hi'), null)
  t.same([...frames.plain()], [0x81, 2, 0x68, 0x69])
  t.equal(frames.for(agreement(15)), frames.plain(), 'no compression configured: the same bytes for everyone')
  t.equal(frames.built, 1)
  const binary = new MessageFrames(true, new Uint8Array(300), null)
  t.same([...binary.plain().subarray(0, 4)], [0x82, 126, 1, 44], 'binary, 16-bit length')
  const compressed = new MessageFrames(true, new Uint8Array(300), new SharedDeflaters({ engine: zlibEngine })).for(agreement(15))
  t.equal(compressed[0], 0x80 | 0x40 | 0x02, 'binary compressed: FIN, RSV1, binary')
})

for (const engine of [zlibEngine, fflateEngine]) {
  t.test(`compressed once per window size (${engine.name}), inflated by node:zlib`, async (t) => {
    const deflaters = new SharedDeflaters({ engine, threshold: 64 })
    for (let round = 0; round < 2; round++) {
      // Round two: the shared compressors kept nothing from round one (no context takeover).
      const frames = new MessageFrames(false, text, deflaters)
      const seen = new Set<Uint8Array>()
      for (let bits = 8; bits <= 15; bits++) {
        const frame = frames.for(agreement(bits))
        seen.add(frame)
        t.equal(frames.for(agreement(bits)), frame, `${bits} bits: the same bytes for the next subscriber`)
        if (bits < engine.minWindowBits) {
          t.equal(frame, frames.plain(), `${bits} bits: below what ${engine.name} can hold to, uncompressed`)
        } else {
          t.ok(inflate(frame, bits).equals(text), `${bits} bits: inflates with a ${bits}-bit window`)
        }
      }
      t.equal(frames.for(agreement(15, false)), frames.plain(), 'context takeover: uncompressed, its own compressor untouched')
      t.equal(frames.for(null), frames.plain(), 'no agreement: uncompressed')
      t.equal(frames.built, seen.size, 'one frame per distinct window, and no more')
    }
  })
}

t.test('short or incompressible messages go out uncompressed', async (t) => {
  const deflaters = new SharedDeflaters({ engine: zlibEngine })
  t.equal(deflaters.threshold, 128, 'default threshold')
  const short = new MessageFrames(false, Buffer.alloc(127, 'a'), deflaters)
  t.equal(short.for(agreement(15)), short.plain())
  const noise = new MessageFrames(true, new Uint8Array(crypto.getRandomValues(new Uint8Array(400))), deflaters)
  t.equal(noise.for(agreement(15)), noise.plain(), 'random bytes do not compress: the plain frame')
  t.equal(noise.built, 1)
  t.throws(() => new SharedDeflaters({ engine: zlibEngine, threshold: -1 }), RangeError)
})
