import zlib from 'node:zlib'
import t from 'tap'
import { agreementOf, defaultEngine, EngineUnavailableError, fflateEngine, PerMessageDeflate } from '../src/index.js'
import { chooseEngine } from '../src/default-engine.js'
import { zlibEngine } from '../src/zlib.js'
import { type ZlibModule, zlibEngineOn } from '../src/zlib-engine.js'
import { elements } from './helpers.js'

// Node.js has process.getBuiltinModule from 20.16 (package.json allows 20.0): before, fflate.
const builtins = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === 'function'

t.test('on Node.js 20.16+ the default engine is the zlib engine, the same object as zlibEngine', async (t) => {
  t.equal(defaultEngine(), builtins ? zlibEngine : fflateEngine)
  t.equal(defaultEngine(), defaultEngine(), 'chosen once')
  const deflate = new PerMessageDeflate(agreementOf(elements('permessage-deflate')[0])!, 'server')
  const payload = deflate.deflater.compress(Buffer.from('x'.repeat(1000)))!
  t.ok(payload.length < 100, 'it compresses')
  deflate.close()
})

t.test('elsewhere it is fflate: no process, no getBuiltinModule, no node:zlib, no binding, a wrong round trip', async (t) => {
  t.equal(chooseEngine(undefined), fflateEngine, 'a browser: no process')
  t.equal(chooseEngine({}), fflateEngine, 'Node.js before 20.16: no getBuiltinModule')
  t.equal(chooseEngine({ getBuiltinModule: () => undefined }), fflateEngine, 'no node:zlib')
  t.equal(chooseEngine({ getBuiltinModule: () => { throw new Error('no such module') } }), fflateEngine, 'a loader that throws')
  // A node:zlib whose streams lack the binding the engine drives (the engine checks for it).
  const noBinding = { ...zlib, createDeflateRaw: () => ({ close() {} }), createInflateRaw: () => ({ close() {} }) }
  t.equal(chooseEngine({ getBuiltinModule: () => noBinding }), fflateEngine, 'no synchronous binding')
  // A binding that runs but writes five bytes of 'A' whatever it is given (a runtime's binding
  // that differs from Node's): the round trip does not give the message back.
  const garbled = () => {
    const state = new Uint32Array(2)
    const handle = {
      writeSync(_flush: number, _input: Uint8Array, _inOffset: number, _inLength: number, output: Uint8Array, outOffset: number, outLength: number) {
        output.fill(0x41, outOffset, outOffset + 5)
        state[0] = outLength - 5
        state[1] = 0
      },
      reset() {},
      onerror: null,
    }
    return { _handle: handle, _writeState: state, close() {} }
  }
  t.equal(chooseEngine({ getBuiltinModule: () => ({ ...zlib, createDeflateRaw: garbled, createInflateRaw: garbled }) }), fflateEngine, 'a round trip that does not give the message back')
  // A node:zlib whose raw inflater ignores its dictionary, as Deno 2.9's does: the zlib engine
  // could not restart after a BFINAL block with the window (RFC 7692 §7.2.3.4).
  const noDictionary = { ...zlib, createInflateRaw: (options?: zlib.ZlibOptions) => zlib.createInflateRaw({ windowBits: options?.windowBits }) }
  t.equal(chooseEngine({ getBuiltinModule: () => noDictionary }), fflateEngine, 'a raw inflater that ignores its dictionary')
  t.equal(chooseEngine({ getBuiltinModule: (id) => (id === 'node:zlib' ? zlib : undefined) }), zlibEngine, 'Node.js 20.16+: the zlib engine')
})

t.test('the zlib engine refuses, at creation, a runtime where it cannot work, with EngineUnavailableError naming why', async (t) => {
  const noBinding = { ...zlib, createDeflateRaw: () => ({ close() {} }), createInflateRaw: () => ({ close() {} }) } as unknown as ZlibModule
  // Deno 2.9's node:zlib: a raw inflater ignores its dictionary.
  let opened = 0
  const noDictionary = {
    ...zlib,
    createInflateRaw: (options?: zlib.ZlibOptions) => (opened++, zlib.createInflateRaw({ windowBits: options?.windowBits })),
  } as unknown as ZlibModule
  const throwing = (thrown: unknown) => ({ ...zlib, createDeflateRaw: () => { throw thrown } }) as unknown as ZlibModule
  // A binding whose writeSync throws: the round trip fails, and the reason names the error.
  const failingStep = {
    ...zlib,
    createDeflateRaw: (options?: zlib.ZlibOptions) => {
      const stream = zlib.createDeflateRaw(options)
      const internals = stream as unknown as { _handle: { writeSync(): void } }
      internals._handle.writeSync = () => { throw new Error('binding failed') }
      return stream
    },
  } as unknown as ZlibModule
  // A raw inflater given another dictionary than its own: the reference across the BFINAL block
  // resolves into the wrong bytes, with no error.
  const wrongDictionary = {
    ...zlib,
    createInflateRaw: (options?: zlib.ZlibOptions) => zlib.createInflateRaw({ windowBits: options?.windowBits, ...(options?.dictionary ? { dictionary: Buffer.from('JJJJJ') } : {}) }),
  } as unknown as ZlibModule
  const cases: [string, ZlibModule, RegExp][] = [
    ['no binding', noBinding, /^this runtime's node:zlib has no synchronous stream binding/],
    ['opening throws', throwing(new Error('not here')), /^this runtime's node:zlib fails to open a raw stream: not here$/],
    ['opening throws a string', throwing('nope'), /^this runtime's node:zlib fails to open a raw stream: nope$/],
    ['a step throws', failingStep, /^a round trip through this runtime's node:zlib does not give the message back: binding failed$/],
    ['a wrong dictionary', wrongDictionary, /^this runtime's raw inflater does not restart from the window after a BFINAL block \(RFC 7692 §7\.2\.3\.4\)$/],
    ['no dictionary', noDictionary, /^this runtime's raw inflater does not restart from the window after a BFINAL block \(RFC 7692 §7\.2\.3\.4/],
  ]
  for (const [name, module, reason] of cases) {
    const engine = zlibEngineOn(module)
    for (const create of [() => engine.createDeflater({ windowBits: 15, keepContext: true }), () => engine.createInflater({ windowBits: 15, keepContext: false })]) {
      const error = t.throws(create, EngineUnavailableError, name) as EngineUnavailableError
      t.equal(error.engine, 'zlib')
      t.match(error.reason, reason, name)
      t.match(error.message, /^the zlib engine cannot work on this runtime: .*; use another engine \(fflateEngine works everywhere\)$/)
    }
  }
  t.equal(opened, 3, 'checked once per node:zlib module (the probe opens three inflaters: its round trip, and the restart across a BFINAL block before and after), not at every creation')
  // Node's own passes: creation works.
  zlibEngine.createDeflater({ windowBits: 15, keepContext: true }).close?.()
})
