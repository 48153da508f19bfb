import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const lib = (name: string) => join(dirname(require.resolve('ws')), 'lib', name)

/** WsVariant is how `ws` masks: its own JS loop, or the native `bufferutil` addon. */
export type WsVariant = 'js' | 'bufferutil'

/**
 * loadWs loads a module of `ws` that its exports map hides, with `ws`'s masking chosen as
 * `variant`. ws decides once, when lib/buffer-util.js loads (WS_NO_BUFFER_UTIL), so the module
 * cache is cleared first; modules that import buffer-util (the Receiver) must be loaded in a
 * process of their own per variant.
 */
export function loadWs<T>(name: string, variant: WsVariant): T {
  if (variant === 'js') process.env.WS_NO_BUFFER_UTIL = '1'
  for (const key of Object.keys(require.cache)) if (key.startsWith(dirname(lib(name)))) delete require.cache[key]
  try {
    return require(lib(name)) as T
  } finally {
    delete process.env.WS_NO_BUFFER_UTIL
  }
}
