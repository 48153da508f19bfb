// Interop of our HTTP/2 client with a third-party RFC 8441 server: Debian's HAProxy (2.6),
// which takes WebSockets over HTTP/2 on its frontend (it sends SETTINGS_ENABLE_CONNECT_PROTOCOL
// and accepts the extended CONNECT) and carries each one to its backend as an HTTP/1.1 upgrade,
// here our own server (acceptSocket). HAProxy runs in the foreground with a configuration of
// its own on a loopback port of its own (h2c: `proto h2`), stopped at teardown.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import type { ClientHttp2Stream } from 'node:http2'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { OpCode, Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, type AcceptedRequest, BatchWriter, CloseError, connectHttp2, dialHttp2, readClientData, readServerData } from '../src/index.js'
import { freePort, listen, tempDir } from './helpers.js'

const haproxyPath = '/usr/sbin/haproxy'

/** backend is our HTTP/1.1 server behind HAProxy: it echoes, and records each request it accepted. */
async function backend(t: Test) {
  const requests: AcceptedRequest[] = []
  const upgrader = new Upgrader({ protocol: (name) => Buffer.from(name).toString() === 'chat' })
  const { port } = await listen(t, (raw) => {
    acceptSocket(raw, upgrader, { keepHeaders: ['upgrade', 'sec-websocket-version'] }).then(({ socket, head, request }) => {
      requests.push(request!)
      const writer = new BatchWriter(socket, { side: 'server' })
      readClientData(socket, head, { onMessage: (opCode, data) => writer.writeMessage(opCode, data) }, { writer })
    }, () => {})
  })
  return { port, requests }
}

/** haproxy starts HAProxy with an h2c frontend on a free port in front of `backendPort`; resolves once the port accepts. */
async function haproxy(t: Test, backendPort: number): Promise<number> {
  const dir = tempDir(t, 'ws-util-haproxy-')
  const port = await freePort()
  const config = join(dir, 'haproxy.cfg')
  writeFileSync(config, [
    'global', '  log stderr local0 info',
    'defaults', '  mode http', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s', '  timeout tunnel 30s',
    'frontend websockets', `  bind 127.0.0.1:${port} proto h2`, '  default_backend ours',
    'backend ours', `  server ours 127.0.0.1:${backendPort}`, '',
  ].join('\n'))
  const child: ChildProcess = spawn(haproxyPath, ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill()
      await once(child, 'exit')
    }
  })
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${log}`)
    const socket: Socket = connect(port, '127.0.0.1')
    const up = await new Promise<boolean>((resolve) => socket.once('connect', () => resolve(true)).once('error', () => resolve(false)))
    socket.destroy()
    if (up) return port
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`haproxy did not start: ${log}`)
}

/** echoes sends each message on a dialed WebSocket and resolves with the echoes, then closes with 1000 and resolves the close. */
async function echoes(socket: Socket | ClientHttp2Stream, head: Uint8Array, messages: Buffer[]) {
  const writer = new BatchWriter(socket, { side: 'client' })
  const received: Buffer[] = []
  let done: () => void
  const all = new Promise<void>((resolve) => (done = resolve))
  const closed = new Promise<Error>((resolve) => {
    const reader = readServerData(socket, head, {
      onMessage: (_opCode, data) => {
        received.push(Buffer.from(data))
        if (received.length === messages.length) {
          done()
          reader.close(1000)
        }
      },
      onClose: resolve,
    }, { writer })
  })
  for (const message of messages) writer.writeMessage(OpCode.Binary, message)
  await all
  return { received, closed: await closed }
}

t.test('our HTTP/2 client through HAProxy: extended CONNECT allowed, carried to our HTTP/1.1 server, echoes and the close both ways', async (t) => {
  const server = await backend(t)
  const port = await haproxy(t, server.port)
  const session = await connectHttp2(`ws://127.0.0.1:${port}`)
  t.teardown(() => session.close())
  t.equal(session.remoteSettings.enableConnectProtocol, true, 'HAProxy sends SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)')
  const dialed = await dialHttp2(session, `ws://127.0.0.1:${port}/room?x=1`, { protocols: ['chat'] })
  t.equal(dialed.protocol, 'chat', 'the backend\'s choice came back through HAProxy')
  const big = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < big.length; i += 1024) big[i] = i / 1024
  const { received, closed } = await echoes(dialed.socket, dialed.head, [Buffer.from('through haproxy'), big])
  t.equal(received[0].toString(), 'through haproxy')
  t.ok(received[1].equals(big), '1 MiB byte for byte')
  t.type(closed, CloseError)
  t.equal((closed as CloseError).closeCode, 1000, 'our 1000 answered through HAProxy')
  t.same({ path: server.requests[0].path, query: server.requests[0].query, headers: server.requests[0].headers },
    { path: '/room', query: 'x=1', headers: { upgrade: 'websocket', 'sec-websocket-version': '13' } }, 'the backend saw an HTTP/1.1 upgrade')
})

t.test('20 WebSockets on one HTTP/2 session through HAProxy, each its own backend connection', async (t) => {
  const server = await backend(t)
  const port = await haproxy(t, server.port)
  const session = await connectHttp2(`ws://127.0.0.1:${port}`)
  t.teardown(() => session.close())
  const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const dialed = await dialHttp2(session, `ws://127.0.0.1:${port}/ws/${i}`)
    const { received } = await echoes(dialed.socket, dialed.head, [Buffer.from(`socket ${i}`)])
    return received[0].toString() === `socket ${i}`
  }))
  t.equal(results.filter(Boolean).length, 20)
  t.equal(server.requests.length, 20)
})
