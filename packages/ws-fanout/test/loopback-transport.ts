// A FanoutTransport without a broker, for the rules that need no network: the test plays the
// broker exactly, calling a channel's listener itself, synchronously, as a transport would.
import type { FanoutTransport } from '../src/index.js'

/** loopback makes a transport in this process that keeps what is published and, per channel, the listener it was given. */
export function loopback() {
  const listeners = new Map<string, (message: Uint8Array) => void>()
  const published: [string, Uint8Array][] = []
  const transport: FanoutTransport = {
    publish: async (channel, message) => void published.push([channel, message.slice()]),
    subscribe: async (channel, listener) => void listeners.set(channel, listener),
    unsubscribe: async (channel) => void listeners.delete(channel),
    close: async () => {},
  }
  return { transport, listeners, published }
}
