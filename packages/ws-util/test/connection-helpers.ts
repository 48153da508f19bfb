// What the ConnectionSet and shutdown tests share (shutdown.test.ts, connection-set.test.ts and
// the server process shutdown-server.ts): servers that keep their connections in a
// ConnectionSet, ws clients and mute peers to fill them, and the way a test starts a
// TypeScript process.
import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { Readable } from 'node:stream'
import WebSocket from 'ws'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptHttpUpgrade, acceptSocket, type ConnectionSet, type DataReader, readClientData } from '../src/index.js'
import { sampleRequest } from './helpers.js'

const upgrader = new Upgrader()
const handler = { onMessage: () => {}, onClose: () => {} }

/** Teardown is the part of a tap test these helpers use. */
export interface Teardown { teardown(fn: () => void): void }

/**
 * netServer makes a TCP server (not yet listening) on the net path: each socket is accepted
 * with acceptSocket, read with readClientData (messages ignored) and added to `set`; a failed
 * handshake is left to acceptSocket, which has answered or destroyed the socket.
 */
export function netServer(set: ConnectionSet<DataReader>): Server {
  return createServer(async (raw) => {
    let accepted
    try {
      accepted = await acceptSocket(raw, upgrader)
    } catch {
      return
    }
    set.add(readClientData(accepted.socket, accepted.head, handler))
  })
}

/**
 * httpServer makes a node:http server (not yet listening) that answers requests with `ok` and
 * upgrades on the node:http path: acceptHttpUpgrade, then readClientData into `set`.
 */
export function httpServer(set: ConnectionSet<DataReader>): HttpServer {
  const server = createHttpServer((_req, res) => res.end('ok'))
  server.on('upgrade', (req, socket, head) => {
    let accepted
    try {
      accepted = acceptHttpUpgrade(req, socket, head, upgrader)
    } catch {
      return
    }
    set.add(readClientData(accepted.socket, accepted.head, handler))
  })
  return server
}

/** listening starts `server` on a loopback port, closed by teardown. */
export async function listening<S extends Server | HttpServer>(t: Teardown, server: S): Promise<{ server: S; port: number }> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return { server, port: (server.address() as { port: number }).port }
}

/** wsClients opens `count` ws clients to `url`, 100 at a time; it resolves with a promise per client of the close code it gets. */
export async function wsClients(t: Teardown, url: string, count: number): Promise<Promise<number>[]> {
  const codes: Promise<number>[] = []
  for (let start = 0; start < count; start += 100) {
    const opened: Promise<unknown>[] = []
    for (let i = start; i < Math.min(count, start + 100); i++) {
      const ws = new WebSocket(url)
      t.teardown(() => ws.terminate())
      ws.on('error', () => {})
      codes.push(new Promise((resolve) => ws.on('close', (code) => resolve(code))))
      opened.push(once(ws, 'open'))
    }
    await Promise.all(opened)
  }
  return codes
}

/**
 * mutePeers completes `count` handshakes on raw sockets that then ignore everything and keep
 * TCP open; each one's `received` holds the bytes after its 101.
 */
export async function mutePeers(t: Teardown, port: number, count: number): Promise<{ peer: Socket; received: Buffer[] }[]> {
  const peers: { peer: Socket; received: Buffer[] }[] = []
  for (let i = 0; i < count; i++) {
    const peer = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    t.teardown(() => peer.destroy())
    peer.on('error', () => {})
    peer.write(sampleRequest)
    await once(peer, 'data') // the 101
    const received: Buffer[] = []
    peer.on('data', (chunk: Buffer) => received.push(chunk))
    peers.push({ peer, received })
  }
  return peers
}

/** until waits for `condition`, checking every 10 ms (bounded by tap's own timeout). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

/**
 * spawnTypeScript runs the TypeScript file `file` in a new Node.js process, its stdout piped,
 * loaded the way this process loads TypeScript: with this process's `execArgv` (under tap, its
 * TypeScript loader and coverage hooks; under tsx, tsx). Not `--import tsx` under tap: tap
 * merges every process's V8 coverage of a source file by byte offset and maps the sum with one
 * source map, so a process that compiled src/*.ts with another transpiler (tsx's
 * whitespace-minified esbuild output) lands its counts on the wrong lines of every src file it
 * loaded, in the whole run's report.
 */
export function spawnTypeScript(file: string, args: string[]): ChildProcessByStdio<null, Readable, null> {
  return spawn(process.execPath, [...process.execArgv, file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
}
