// The only globals ws-core may use, so that it runs unchanged in Node.js, Deno, Bun, browsers
// and workers. The package compiles with no Node.js types: anything else is a type error.
declare var crypto: { getRandomValues<T extends ArrayBufferView>(array: T): T }
declare class TextEncoder {
  encode(input?: string): Uint8Array
}
