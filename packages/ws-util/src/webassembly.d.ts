// The part of the WebAssembly JavaScript API that simd-cipher.ts uses. Node.js has all of it;
// @types/node does not declare it (it lives in TypeScript's DOM library, which a Node.js
// package should not pull in).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array)
  }
  class Instance {
    constructor(module: Module, imports: object)
    readonly exports: Record<string, unknown>
  }
  class Memory {
    readonly buffer: ArrayBuffer
  }
}
