// Issue 15, behind a reverse proxy: Debian's nginx (/usr/sbin/nginx), started here on a
// loopback port of its own with its files in a temporary folder, in front of
// examples/http-upgrade.ts. The upgrade and long and fragmented messages pass through it;
// X-Forwarded-For is believed only from a trusted hop (nginx connects to the servers from
// 127.0.0.2, its proxy_bind, so that its hop differs from the clients' 127.0.0.1); the close
// handshake survives it both ways.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { checkWsEcho, wsEcho } from './peers.js'
import { runExample } from './run-example.js'

const nginxPath = '/usr/sbin/nginx'
/** The address nginx connects to the servers from (proxy_bind): a hop of its own. */
const nginxHop = '127.0.0.2'

/** freePort returns a loopback port that was free a moment ago (nginx cannot listen on port 0 and say which). */
async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** accepts resolves true when 127.0.0.1:`port` takes a TCP connection. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

/** nginxConfig proxies each `/NAME/` to `http://127.0.0.1:PORT/` of `upstreams`, for WebSockets. */
function nginxConfig(dir: string, port: number, upstreams: Record<string, number>): string {
  const locations = Object.entries(upstreams).map(([name, upstream]) => `    location /${name}/ { proxy_pass http://127.0.0.1:${upstream}/; }`)
  return `# Written by examples/test/nginx.test.ts; everything nginx writes stays in ${dir}.
${process.getuid?.() === 0 ? 'user root;  # the workers must reach this folder (mkdtemp: 0700, root\'s)\n' : ''}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
# A graceful stop (SIGQUIT) would wait for open WebSockets without end.
worker_shutdown_timeout 2s;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    # RFC 6455 §4.1 through a proxy: HTTP/1.1 to the server, and the hop-by-hop Upgrade and
    # Connection fields (RFC 9110 §7.6.1, §7.8) passed on, which nginx does not by default.
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection "upgrade";
    proxy_set_header Host $host;
    # What the client sent, then the address nginx saw: "203.0.113.7, 127.0.0.1".
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_bind ${nginxHop};
    # An upgraded connection with no traffic for proxy_read_timeout (60 s by default) is closed
    # by nginx: keep the server's heartbeat (30 s) below it, or raise it as here.
    proxy_read_timeout 1h;
    proxy_send_timeout 1h;
${locations.join('\n')}
  }
}
`
}

/**
 * startNginx runs nginx in the foreground (`daemon off`, master and one worker, in a process
 * group of its own) in front of `upstreams`, on a free loopback port, and resolves with that
 * port once nginx accepts connections. At teardown nginx is stopped with SIGTERM (and its group
 * killed if it has not exited within 5 s) and the folder removed.
 */
async function startNginx(t: Test, upstreams: Record<string, number>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'nginx-'))
  const children: ChildProcess[] = []
  // A test process that dies without its teardown still leaves no nginx behind.
  const killGroups = () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      try {
        process.kill(-child.pid!, 'SIGKILL') // the master and its worker, by the group we started
      } catch {
        // gone in between
      }
    }
  }
  process.once('exit', killGroups)
  t.teardown(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(5000)])
    }
    killGroups()
    process.removeListener('exit', killGroups)
    rmSync(dir, { recursive: true, force: true })
  })
  // Another process may take the free port before nginx does: then nginx exits, and we try again.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port, upstreams))
    const child = spawn(nginxPath, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: 'ignore', detached: true })
    children.push(child)
    let exited = false
    child.once('exit', () => (exited = true))
    for (let i = 0; i < 100 && !exited; i++) {
      if (await accepts(port)) return port
      await sleep(100)
    }
    const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''
    if (!exited || attempt === 3) throw new Error(`nginx did not start on 127.0.0.1:${port} (attempt ${attempt}): ${log}`)
  }
}

// One server per trust setting, and one to stop with SIGTERM.
const [none, proxy, chain, stopping] = await Promise.all([
  runExample(t, 'http-upgrade'),
  runExample(t, 'http-upgrade', ['--trust-proxy', nginxHop]),
  runExample(t, 'http-upgrade', ['--trust-proxy', `${nginxHop},127.0.0.1`]),
  runExample(t, 'http-upgrade'),
])
const nginxPort = await startNginx(t, { none: none.port, proxy: proxy.port, chain: chain.port, stopping: stopping.port })
const via = (name: string) => `ws://127.0.0.1:${nginxPort}/${name}/ws`

/**
 * whoami opens `url`/whoami with the ws client (`forwardedFor` as its X-Forwarded-For, from
 * `localAddress`) and resolves with the server's first message and the 101's Server field.
 */
async function whoami(url: string, forwardedFor?: string, localAddress = '127.0.0.1'): Promise<{ said: string; server: string | undefined }> {
  const ws = new WebSocket(`${url}/whoami`, { localAddress, headers: forwardedFor === undefined ? {} : { 'X-Forwarded-For': forwardedFor } })
  const upgrade = once(ws, 'upgrade')
  const message = once(ws, 'message')
  const [response] = (await upgrade) as [{ headers: Record<string, string | undefined> }]
  const [said] = await message
  ws.close(1000)
  await once(ws, 'close')
  return { said: String(said), server: response.headers.server }
}

t.test('the upgrade goes through nginx: its 101, and nginx\'s hop is the peer the server sees', async (t) => {
  const { said, server } = await whoami(via('none'))
  t.match(server, /^nginx\//, 'the 101 came through nginx')
  t.match(said, /^you are 127\.0\.0\.2:\d+, client 127\.0\.0\.2$/, 'no proxy trusted: the client is the peer, nginx')
  t.match((await whoami(via('none'), '203.0.113.7')).said, /, client 127\.0\.0\.2$/, 'and a forged X-Forwarded-For is not believed')
})

t.test('through nginx, the ws client: text, binary, empty, fragmented and 16 MiB messages come back', async (t) => checkWsEcho(t, via('none'), ['echo']))

t.test('through nginx, a message in 1,000 frames comes back whole, byte for byte', async (t) => {
  const fragments = Array.from({ length: 1000 }, (_, i) => Buffer.alloc(1024, i % 251))
  const echoed = await wsEcho(via('none'), fragments.map((data, i) => ({ data, fin: i === fragments.length - 1 })))
  t.equal(echoed.length, 1)
  t.ok(echoed[0].isBinary)
  t.ok(echoed[0].data.equals(Buffer.concat(fragments)), '1 MiB in 1,000 frames')
})

t.test('trusting nginx (--trust-proxy 127.0.0.2): the client is the hop nginx appended, not what the client wrote', async (t) => {
  // nginx sends "203.0.113.7, 127.0.0.1": the entry nginx wrote (127.0.0.1, the client it saw)
  // is the rightmost untrusted one; 203.0.113.7 was written by that untrusted client.
  t.match((await whoami(via('proxy'), '203.0.113.7')).said, /^you are 127\.0\.0\.2:\d+, client 127\.0\.0\.1$/)
  t.match((await whoami(via('proxy'))).said, /^you are 127\.0\.0\.2:\d+, client 127\.0\.0\.1$/, 'no header sent: nginx\'s entry alone')
})

t.test('trusting nginx and the client\'s hop (--trust-proxy 127.0.0.2,127.0.0.1): the client reported by the trusted client', async (t) => {
  // Here 127.0.0.1 plays a trusted proxy in front of nginx, so its word is believed.
  t.match((await whoami(via('chain'), '203.0.113.7')).said, /^you are 127\.0\.0\.2:\d+, client 203\.0\.113\.7$/)
  t.match((await whoami(via('chain'), '198.51.100.1, 203.0.113.7')).said, /, client 203\.0\.113\.7$/, 'the rightmost untrusted entry')
  t.match((await whoami(via('chain'))).said, /, client 127\.0\.0\.1$/, 'every hop trusted: the leftmost')
})

t.test('not through nginx: a forged X-Forwarded-For is not believed; the same header from nginx\'s address is', async (t) => {
  const direct = `ws://127.0.0.1:${proxy.port}/ws`
  t.match((await whoami(direct, '203.0.113.7')).said, /^you are 127\.0\.0\.1:\d+, client 127\.0\.0\.1$/, 'a direct client is its own address')
  // Trust goes by the socket's address: a peer at the trusted address is believed, proxy or not.
  t.match((await whoami(direct, '203.0.113.7', nginxHop)).said, /^you are 127\.0\.0\.2:\d+, client 203\.0\.113\.7$/)
})

t.test('the close handshake through nginx: the client closes with 1000 and a reason, the server\'s close frame comes back', async (t) => {
  const ws = new WebSocket(via('none'))
  await once(ws, 'open')
  ws.send('before closing')
  t.equal(String((await once(ws, 'message'))[0]), 'before closing')
  ws.close(1000, 'done here')
  const [code] = await once(ws, 'close')
  t.equal(code, 1000, 'the server\'s close frame, with its code (1006 had it not come)')
})

t.test('a server-initiated close through nginx: on SIGTERM the server\'s 1001 reaches the client', async (t) => {
  const ws = new WebSocket(via('stopping'))
  await once(ws, 'open')
  ws.send('still here')
  t.equal(String((await once(ws, 'message'))[0]), 'still here')
  const closed = once(ws, 'close')
  const exit = await stopping.stop('SIGTERM')
  const [code, reason] = await closed
  t.equal(code, 1001, 'going away (RFC 6455 §7.4.1)')
  t.equal(String(reason), 'server stopping')
  t.same(exit, { code: 0, signal: null })
  t.match(stopping.output(), /stopped on SIGTERM: 1 connection closed cleanly with 1001/, 'the client\'s close came back through nginx')
})
