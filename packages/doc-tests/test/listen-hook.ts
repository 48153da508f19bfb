// Loaded with `--import` before a runnable code block (see run-snippet.ts): every server the
// block starts listens on 127.0.0.1 port 0 (any free port) whatever port and host the block
// names (`.listen(8080)` stays as a user would paste it), and the port it got is sent to the
// test over the IPC channel as `{ listening: port }`. Only the port and host change; a
// callback given to listen() still runs.
import { Server } from 'node:net'

const listen = Server.prototype.listen as (this: Server, port: number, host: string, callback?: () => void) => Server

Server.prototype.listen = function (this: Server, ...args: unknown[]): Server {
  const callback = args.find((arg) => typeof arg === 'function') as (() => void) | undefined
  this.once('listening', () => {
    const address = this.address()
    if (typeof address === 'object' && address !== null) process.send?.({ listening: address.port })
  })
  return listen.call(this, 0, '127.0.0.1', callback)
} as typeof Server.prototype.listen
