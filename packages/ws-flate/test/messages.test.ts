import { randomBytes } from 'node:crypto'
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib'
import fc from 'fast-check'
import t from 'tap'
import { ErrorCode, InvalidPayloadError, LimitError } from '@ws-toolkit/ws-core'
import { type DeflateEngine, fflateEngine, MessageDeflater, MessageInflater, type RawDeflater, type RawInflater } from '../src/index.js'
import { syncFlush } from '../src/fflate-engine.js'
import { History } from '../src/history.js'
import { zlibEngine } from '../src/zlib.js'
import { NativeStream } from '../src/zlib-engine.js'

const engines: DeflateEngine[] = [fflateEngine, zlibEngine]
const sync = { finishFlush: constants.Z_SYNC_FLUSH }

/**
 * bomb is 1 GiB of zeros, compressed (about 1 MiB): 64 pieces of 16 MiB, each compressed
 * against a window of zeros, so one piece repeated continues the stream.
 */
function bomb(): Buffer {
  const piece = Buffer.alloc(16 << 20)
  const first = deflateRawSync(piece, sync)
  const next = deflateRawSync(piece, { ...sync, dictionary: Buffer.alloc(32768) })
  return Buffer.concat([first, ...Array(63).fill(next)]).subarray(0, -4)
}

t.test('a 1 GiB bomb is refused with 1009 at the limit, not at its size', async (t) => {
  const payload = bomb()
  t.ok(payload.length < 2 << 20, `${payload.length} bytes on the wire`)
  for (const engine of engines) {
    for (const limit of [1 << 20, 64 << 20]) {
      const inflater = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext: true }), { maxMessageSize: limit })
      let delivered = 0
      let pieces = 0
      const error = (() => {
        try {
          // Fed in frames of 64 KiB, as a reader would.
          for (let at = 0; at < payload.length; at += 65536) {
            inflater.write(payload.subarray(at, at + 65536), (chunk) => {
              delivered += chunk.length
              pieces++
            })
          }
        } catch (error) {
          return error
        }
      })()
      t.type(error, LimitError, `${engine.name}, limit ${limit}`)
      t.match(error, { code: ErrorCode.MessageTooLarge, closeCode: 1009 })
      t.ok(delivered <= limit, `${delivered} bytes handed over: nothing past the limit`)
      t.ok(pieces > 0)
    }
  }
})

t.test('small inputs that expand past the limit are refused too (the fast path)', async (t) => {
  const payload = deflateRawSync(Buffer.alloc(1 << 19), sync).subarray(0, -4)
  t.ok(payload.length < 1022, 'small enough for fflate’s one-shot path')
  for (const engine of engines) {
    const inflater = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext: false }), { maxMessageSize: 1000 })
    t.throws(() => inflater.inflate(payload), LimitError, engine.name)
    const large = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext: false }), { maxMessageSize: 1 << 19 })
    t.equal(large.inflate(payload).length, 1 << 19, `${engine.name}: exactly at the limit is fine`)
  }
})

t.test('data that does not inflate fails with 1007; a sink’s own error passes through', async (t) => {
  for (const engine of engines) {
    for (const corrupt of ['ff', 'f248cdc9c9ff00ff00ff', '04']) {
      const inflater = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext: true }))
      const error = (() => {
        try {
          inflater.inflate(Buffer.from(corrupt, 'hex'))
        } catch (error) {
          return error
        }
      })()
      t.type(error, InvalidPayloadError, `${engine.name}: ${corrupt}`)
      t.match(error, { code: ErrorCode.InvalidCompressedData, closeCode: 1007 })
    }
    const inflater = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext: true }))
    const mine = new Error('mine')
    const thrower = () => {
      throw mine
    }
    t.throws(() => {
      inflater.write(Buffer.from('f248cdc9c90700', 'hex'), thrower)
      inflater.end(thrower)
    }, mine, `${engine.name}: the sink's error, as it is`)
  }
})

t.test('MessageDeflater: threshold, empty messages, fragments, reset without context takeover', async (t) => {
  const deflater = new MessageDeflater(fflateEngine.createDeflater({ windowBits: 15, keepContext: true }), { keepContext: true, threshold: 6 })
  t.equal(deflater.compress(Buffer.from('Hello')), null, 'under the threshold')
  const tail = Buffer.of(0, 0, 0xff, 0xff)
  t.equal(inflateRawSync(Buffer.concat([deflater.compress(Buffer.from('Hello!'))!, tail]), sync).toString(), 'Hello!', 'at it: compressed')
  const empties = [deflater.write(new Uint8Array(0), false), deflater.write(new Uint8Array(0), true)]
  t.same(empties.map((p) => Buffer.from(p).toString('hex')), ['', '00'], 'an empty message in pieces is 00 too')
  t.throws(() => new MessageDeflater(zlibEngine.createDeflater({ windowBits: 15, keepContext: true }), { keepContext: true, threshold: -1 }), RangeError)

  const calls: string[] = []
  const fake: RawDeflater = {
    write: (data, last) => {
      calls.push(`write ${data.length} ${last}`)
      return last ? Uint8Array.of(0xf2, 0x00, 0x00, 0x00, 0xff, 0xff) : new Uint8Array(0)
    },
    reset: () => calls.push('reset'),
  }
  const resetting = new MessageDeflater(fake, { keepContext: false })
  t.equal(Buffer.from(resetting.compress(Buffer.from('ab'))!).toString('hex'), 'f200')
  t.same(calls, ['write 2 true', 'reset'])
  resetting.close()
  const broken = new MessageDeflater({ write: () => Uint8Array.of(1, 2, 3), reset: () => {} }, { keepContext: true })
  t.throws(() => broken.compress(Buffer.from('ab')), /did not end the message with a sync flush/)
  const almost = new MessageDeflater({ write: () => Uint8Array.of(0, 0, 0, 0xff, 0xfe), reset: () => {} }, { keepContext: true })
  t.throws(() => almost.compress(Buffer.from('ab')), /sync flush/)
})

t.test('a message compressed in fragments inflates as one', async (t) => {
  for (const engine of engines) {
    const deflater = new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext: true }), { keepContext: true })
    const words = Array.from({ length: 30000 }, (_, i) => `w${(i * 7919) % 4001} `).join('')
    // fflate emits blocks once it holds 8 KiB; zlib holds much more.
    const fragments = [deflater.write(Buffer.from(words.slice(0, 9000)), false), deflater.write(Buffer.from(words.slice(9000)), false), deflater.write(new Uint8Array(0), true)].map((p) => Buffer.from(p))
    if (engine === fflateEngine) t.ok(fragments[0].length > 0, 'output before the end')
    t.equal(inflateRawSync(Buffer.concat([...fragments, Buffer.of(0, 0, 0xff, 0xff)]), sync).toString(), words, engine.name)
    const inflater = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext: true }))
    t.equal(Buffer.from(inflater.inflate(Buffer.concat(fragments))).toString(), words)
    t.equal(inflater.inflate(Uint8Array.of(0)).length, 0, 'an empty message')
    inflater.close()
    inflater.close()
    deflater.close()
  }
  t.throws(() => new MessageInflater(fflateEngine.createInflater({ windowBits: 15, keepContext: true }), { maxMessageSize: -1 }), RangeError)
})

t.test('engine internals are checked: a changed fflate or a runtime without the zlib binding is an error', async (t) => {
  t.throws(() => syncFlush({}), /not the version it was written for/)
  t.same([...syncFlush({ r: 0 })], [0, 0, 0, 0xff, 0xff], 'byte-aligned: a new byte for the block header')
  t.same([...syncFlush({ r: (0x2a << 3) | 5 })], [0x2a, 0, 0, 0xff, 0xff], '5 bits used: the header fits')
  t.same([...syncFlush({ r: (0x2a << 3) | 6 })], [0x2a, 0, 0, 0, 0xff, 0xff], '6 bits used: it spills into one more byte (the #267 case)')
  let closed = false
  t.throws(() => new NativeStream({ close: () => (closed = true) } as never), /no synchronous stream binding/)
  t.ok(closed, 'the stream was closed')
})

t.test('History keeps the last 32 KiB, whatever the appends', async (t) => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 70000 }), { maxLength: 20 }), (sizes) => {
    const history = new History()
    let all = Buffer.alloc(0)
    let n = 0
    for (const size of sizes) {
      const chunk = Buffer.alloc(size)
      for (let i = 0; i < size; i++) chunk[i] = (n++ * 31) & 0xff
      history.append(chunk)
      all = Buffer.concat([all, chunk]).subarray(-32768)
      if (!Buffer.from(history.view()).equals(all)) throw new Error('differs')
    }
  }), { numRuns: 200 })
  t.pass()
})

t.test('an engine of your own plugs in (the interface is all the message layer uses)', async (t) => {
  // A stored-blocks "compressor": valid DEFLATE, no compression.
  const stored: RawDeflater = {
    write: (data, last) => {
      if (!last) throw new Error('whole messages only')
      const out = new Uint8Array(data.length + 10)
      out.set([0, data.length & 0xff, data.length >> 8, ~data.length & 0xff, (~data.length >> 8) & 0xff])
      out.set(data, 5)
      out.set([0, 0, 0, 0xff, 0xff], data.length + 5)
      return out
    },
    reset: () => {},
  }
  const inflaterOf: RawInflater = zlibEngine.createInflater({ windowBits: 15, keepContext: false })
  const payload = new MessageDeflater(stored, { keepContext: false }).compress(Buffer.from('plain'))!
  t.equal(Buffer.from(new MessageInflater(inflaterOf).inflate(payload)).toString(), 'plain')
})

t.test('found in review: every fix has a case', async (t) => {
  const tail = Buffer.of(0, 0, 0xff, 0xff)
  const words = Buffer.from(Array.from({ length: 3000 }, (_, i) => `item${i % 50},`).join(''))

  t.test('a closed zlib stream throws instead of aborting the process', async (t) => {
    const deflater = zlibEngine.createDeflater({ windowBits: 15, keepContext: true })
    deflater.close!()
    deflater.close!()
    t.throws(() => deflater.write(words, true), /used after close/)
    const inflater = zlibEngine.createInflater({ windowBits: 15, keepContext: true })
    inflater.close!()
    t.throws(() => inflater.write(words, true, () => {}, 1 << 20), /used after close/)
  })

  t.test('fflate gathers small streaming pieces before pushing them', async (t) => {
    const { Inflate } = await import('fflate')
    const push = Inflate.prototype.push
    let pushes = 0
    Inflate.prototype.push = function (this: InstanceType<typeof Inflate>, ...args: Parameters<typeof push>) {
      pushes++
      return push.apply(this, args)
    }
    t.teardown(() => {
      Inflate.prototype.push = push
    })
    const random = Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 2654435761) >>> 24 ^ (i >> 3)))
    const payload = deflateRawSync(random, { ...sync, level: 0 }).subarray(0, -4) // stored blocks
    const inflater = new MessageInflater(fflateEngine.createInflater({ windowBits: 15, keepContext: false }))
    const out: Buffer[] = []
    for (let i = 0; i < payload.length; i++) inflater.write(payload.subarray(i, i + 1), (c) => out.push(Buffer.from(c)))
    inflater.end((c) => out.push(Buffer.from(c)))
    t.ok(Buffer.concat(out).equals(random))
    t.ok(pushes <= payload.length / 1024 + 2, `${pushes} pushes for ${payload.length} one-byte pieces`)
  })

  t.test('fflate reset zeroes its hash chains: a repeated message does not refer to the one before', async (t) => {
    // Over 64 KiB, so that fflate's buffer has moved and its lookback holds the first message.
    const long = Buffer.concat([words, words, words, words])
    for (const engine of engines) {
      const deflater = new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext: false }), { keepContext: false })
      deflater.compress(long)
      t.ok(inflateRawSync(Buffer.concat([deflater.compress(long)!, tail]), sync).equals(long), engine.name)
    }
  })

  t.test('MessageDeflater.reset drops an unfinished message and the history', async (t) => {
    for (const engine of engines) {
      const deflater = new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext: true }), { keepContext: true })
      deflater.compress(words)
      deflater.write(Buffer.from('SECRET-PARTIAL '), false)
      deflater.reset()
      const next = deflater.compress(words)!
      t.equal(inflateRawSync(Buffer.concat([next, tail]), sync).toString(), words.toString(), `${engine.name}: alone, and without the abandoned bytes`)
    }
  })

  t.test('an empty compressed payload is an empty message, and leaves the inflater as it was', async (t) => {
    for (const engine of engines) {
      const deflater = new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext: true }), { keepContext: true })
      const inflater = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext: true }))
      t.equal(inflater.inflate(Buffer.from(deflater.compress(words)!)).length, words.length)
      t.equal(inflater.inflate(new Uint8Array(0)).length, 0, engine.name)
      t.equal(Buffer.from(inflater.inflate(Buffer.from(deflater.compress(words)!))).toString(), words.toString(), `${engine.name}: the next message still inflates`)
    }
  })

  t.test("a caller's lower limit applies while inflating", async (t) => {
    for (const engine of engines) {
      const inflater = new MessageInflater(engine.createInflater({ windowBits: 15, keepContext: false }))
      const payload = new MessageDeflater(engine.createDeflater({ windowBits: 15, keepContext: false }), { keepContext: false }).compress(words)!
      t.throws(() => {
        inflater.write(payload, () => {}, 1000)
        inflater.end(() => {}, 1000)
      }, { code: ErrorCode.MessageTooLarge, message: /more than 1000 bytes/ }, engine.name)
    }
  })

  t.test('buffers grown for one large message are let go', async (t) => {
    const large = randomBytes(1 << 21) // incompressible: 2 MiB of output
    const zlibDeflater = zlibEngine.createDeflater({ windowBits: 15, keepContext: true }) as unknown as { write: RawDeflater['write']; native: object }
    const output = zlibDeflater.write(large, true)
    t.ok(output.length > 1 << 21, 'output grown for the message, handed over')
    t.notOk('out' in zlibDeflater.native, 'no output buffer kept by the engine between calls')
    zlibDeflater.write(words, true)
    t.ok(inflateRawSync(output, sync).equals(large), 'a later write leaves it as it was')
    const fflateDeflater = fflateEngine.createDeflater({ windowBits: 15, keepContext: true }) as unknown as { write: RawDeflater['write']; deflate: { b: Uint8Array } }
    fflateDeflater.write(large, true)
    t.ok(fflateDeflater.deflate.b.length <= 163840, `fflate's buffer stays at ${fflateDeflater.deflate.b.length} bytes`)
  })

  t.test('a sink that inflates on another fflate inflater does not overwrite what it was handed', async (t) => {
    const one = new MessageInflater(fflateEngine.createInflater({ windowBits: 15, keepContext: false }))
    const other = new MessageInflater(fflateEngine.createInflater({ windowBits: 15, keepContext: false }))
    const compress = (text: string) => new Uint8Array(new MessageDeflater(fflateEngine.createDeflater({ windowBits: 15, keepContext: false }), { keepContext: false }).compress(Buffer.from(text))!)
    const first = compress('first message, first message')
    const second = compress('SECOND MESSAGE, SECOND MESSAGE')
    let seen = ''
    const sink = (chunk: Uint8Array) => {
      other.inflate(second)
      seen += Buffer.from(chunk).toString()
    }
    one.write(first, sink)
    one.end(sink)
    t.equal(seen, 'first message, first message')
  })

  t.test('compressFrame checks the level', async (t) => {
    const { compressFrame } = await import('../src/index.js')
    const { newTextFrame } = await import('@ws-toolkit/ws-core')
    t.throws(() => compressFrame(newTextFrame('x'), { level: 0 }), RangeError)
  })
})

t.test('zlib output is the caller\'s: no engine keeps output space between calls (issue 14)', async (t) => {
  // Over 64 KiB inflated: the outer sink below is handed several pieces.
  const words = Buffer.from(Array.from({ length: 30000 }, (_, i) => `w${(i * 7919) % 4001} `).join(''))
  const a = zlibEngine.createDeflater({ windowBits: 15, keepContext: false })
  const b = zlibEngine.createDeflater({ windowBits: 15, keepContext: false })
  const first = a.write(words, true)
  const copy = Buffer.from(first)
  b.write(Buffer.from('something else entirely '.repeat(100)), true)
  a.write(words, true)
  t.ok(Buffer.from(first).equals(copy), 'a compression by this or another engine does not touch an earlier result')
  t.equal(a.write(new Uint8Array(0), false).length, 0, 'no output: empty')
  // A sink that inflates on another zlib inflater is lent other output space.
  const outer = new MessageInflater(zlibEngine.createInflater({ windowBits: 15, keepContext: false }))
  const inner = new MessageInflater(zlibEngine.createInflater({ windowBits: 15, keepContext: false }))
  const innerPayload = new MessageDeflater(zlibEngine.createDeflater({ windowBits: 15, keepContext: false }), { keepContext: false }).compress(Buffer.from('inner message '.repeat(50)))!.slice()
  const outerPayload = new MessageDeflater(zlibEngine.createDeflater({ windowBits: 15, keepContext: false }), { keepContext: false }).compress(words)!.slice()
  const seen: Buffer[] = []
  outer.write(outerPayload, (piece) => {
    const before = Buffer.from(piece)
    inner.inflate(innerPayload)
    seen.push(before.equals(piece) ? before : Buffer.alloc(0))
  })
  outer.end((piece) => void seen.push(Buffer.from(piece)))
  t.ok(Buffer.concat(seen).equals(words), 'what the outer sink was handed stayed as it was')
})

t.test('an engine that fails on a piece of a message: a lent one is closed, never given back; one kept for good stays', async (t) => {
  const options = { windowBits: 15, keepContext: false }
  const message = Buffer.from('a piece of a message, then the rest of it; '.repeat(20))
  const counts = { made: 0, closed: 0, given: 0 }
  /** failing makes zlib compressors; the first fails at its first piece, as an engine with a fault would. */
  const failing = (): RawDeflater => {
    const raw = zlibEngine.createDeflater(options)
    const faulty = counts.made++ === 0
    return {
      write: (data, last) => {
        if (faulty && !last) throw new Error('engine fault')
        return raw.write(data, last)
      },
      reset: () => raw.reset(),
      close: () => (counts.closed++, raw.close!()),
    }
  }
  const idle: RawDeflater[] = []
  const lending = { take: () => idle.pop() ?? failing(), give: (raw: RawDeflater) => (counts.given++, void idle.push(raw)) }
  const deflater = new MessageDeflater(lending, { keepContext: false })
  t.throws(() => deflater.write(message.subarray(0, 100), false), /engine fault/, 'the error is thrown as it is')
  t.same(counts, { made: 1, closed: 1, given: 0 }, 'the lent engine is closed, not given back')
  // The message is abandoned; the next goes to another engine, and compresses as node:zlib does.
  deflater.reset()
  const head = Buffer.from(deflater.write(message.subarray(0, 100), false))
  const tail = Buffer.from(deflater.write(message.subarray(100), true))
  t.same(Buffer.concat([head, tail]), deflateRawSync(message, sync).subarray(0, -4), 'the next message: the bytes node:zlib gives')
  t.same(counts, { made: 2, closed: 1, given: 1 }, 'a new engine, given back at the end of its message')
  deflater.close()

  // Kept for good (context takeover): the engine stays, for the connection to fail.
  counts.made = 0
  counts.closed = 0
  let taken = 0
  const kept = new MessageDeflater({ take: () => (taken++, failing()) }, { keepContext: true })
  t.throws(() => kept.write(message.subarray(0, 100), false), /engine fault/)
  t.throws(() => kept.write(message.subarray(0, 100), false), /engine fault/, 'the same engine, still held')
  t.same({ taken, closed: counts.closed }, { taken: 1, closed: 0 }, 'taken once, not closed')
  kept.close()
  t.equal(counts.closed, 1, 'closed with the deflater')
})
