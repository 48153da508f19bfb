import zlib from 'node:zlib'
import t from 'tap'
import type * as ZlibEngine from '../src/zlib-engine.js'

// zlib-engine.ts reads whether it runs on Bun once, when it loads: a fresh copy of the module
// (its own URL) loaded with a `Bun` global is the module as Bun loads it.
t.test('on Bun the zlib engine offers no compressor made off the main thread, and works as ever', async (t) => {
  const specifier = '../src/zlib-engine.js?bun' // a variable: not resolved by tsc
  const global = globalThis as { Bun?: unknown }
  t.equal(global.Bun, undefined, 'this is not Bun')
  global.Bun = {}
  let onBun: typeof ZlibEngine
  try {
    onBun = (await import(specifier)) as typeof ZlibEngine
  } finally {
    delete global.Bun
  }
  const engine = onBun.zlibEngineOn(zlib)
  t.equal(engine.createDeflaterOffThread, undefined, 'no createDeflaterOffThread (Bun allocates otherwise)')
  const deflater = engine.createDeflater({ windowBits: 15, keepContext: false })
  const message = Buffer.from('Hello, Hello, Hello')
  const out = deflater.write(message, true)
  t.same(Buffer.from(out), zlib.deflateRawSync(message, { finishFlush: zlib.constants.Z_SYNC_FLUSH }), "it compresses exactly as node:zlib's deflateRawSync")
  deflater.close!()

  const { zlibEngineOn } = await import('../src/zlib-engine.js')
  t.type(zlibEngineOn(zlib).createDeflaterOffThread, 'function', 'the module as Node.js loads it has createDeflaterOffThread')
})
