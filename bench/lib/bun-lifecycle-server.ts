// Bun's native WebSocket server for bench/handshake.ts's lifecycle mode, run by the Bun binary
// (not Node.js): Bun.serve with a `websocket` handler that does nothing, so Bun itself answers
// the client's close frame and closes the connection. GET /cpu (any request that is not an
// upgrade) answers with this process's CPU time, process.cpuUsage(), as JSON: the benchmark
// reads it before and after the load. Prints "listening on 127.0.0.1:N" when ready.

/** The little of Bun's API this script uses (the workspace type-checks without Bun's types). */
interface BunServer { port: number; upgrade(request: Request): boolean }
declare const Bun: {
  serve(options: {
    hostname: string
    port: number
    fetch(request: Request, server: BunServer): Response | undefined
    websocket: { message(ws: unknown, message: unknown): void }
  }): BunServer
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(request, server) {
    if (server.upgrade(request)) return undefined
    return Response.json(process.cpuUsage())
  },
  websocket: { message() {} },
})
console.log(`listening on 127.0.0.1:${server.port}`)
