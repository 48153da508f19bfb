import zlib from 'node:zlib'
import t from 'tap'
import { agreementOf, defaultEngine, fflateEngine, PerMessageDeflate } from '../src/index.js'
import { chooseEngine } from '../src/default-engine.js'
import { zlibEngine } from '../src/zlib.js'
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
