// The fan-out example in one command: Debian's redis-server, three chat nodes
// (examples/fanout/node.ts) sharing their rooms through it, and Debian's nginx in front of them
// balancing the WebSocket upgrades, all on loopback ports (nginx on --port, the others on free
// ones), nothing kept on disk: Redis without persistence, nginx's configuration, pid file and
// logs in a temporary folder, removed at the end (kept, and named, when something failed).
//
//   pnpm exec tsx examples/fanout/run.ts --port 8080
//   then, from as many terminals as you like (each client is sent to the least busy node):
//   pnpm exec tsx examples/client.ts ws://127.0.0.1:8080/room/lobby hello
//
// Lines typed on its standard input drive the failures the example is about:
//   kill NODE     SIGKILL one node (a crash): its clients reconnect through nginx to the others
//   stop redis    SIGKILL redis-server: the nodes keep their own rooms going and count what is lost
//   start redis   start it again on the same port: the nodes reconnect and resubscribe by themselves
//   stats         print each node's counts (its GET /stats)
// Ctrl-C or SIGTERM stops the nodes (each closes its clients with 1001 and prints its counts),
// then nginx, then Redis, and exits 0; a process of ours that dies unexpectedly stops them all,
// exit code 1.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseCommand, portFlag } from '../lib/args.ts'
import { listenError } from '../lib/server.ts'
import { stopTimeoutMs } from '../lib/shutdown.ts'

const { values } = parseCommand({
  summary: 'Redis, three chat nodes sharing rooms through it (ws-fanout) and nginx balancing them, in one command',
  flags: { port: portFlag(8080) },
  notes: [
    'Clients join a room at ws://127.0.0.1:PORT/room/NAME. Lines on standard input:',
    '  kill NODE (SIGKILL node1, node2 or node3), stop redis, start redis, stats',
  ],
})
const redisPath = '/usr/bin/redis-server'
const nginxPath = '/usr/sbin/nginx'
const nodeNames = ['node1', 'node2', 'node3']
const nodeScript = join(dirname(fileURLToPath(import.meta.url)), 'node.ts')

for (const [path, debianPackage] of [[redisPath, 'redis-server'], [nginxPath, 'nginx']]) {
  try {
    accessSync(path!, constants.X_OK)
  } catch {
    console.error(`this example runs Debian's ${debianPackage} at ${path}: sudo apt-get install -y ${debianPackage}`)
    process.exit(1)
  }
}

/** A process of ours: its name in the lines we print, and whether its exit is one we asked for. */
interface Child {
  readonly name: string
  readonly process: ChildProcess
  /** exitAllowed: a kill we were asked for, or the stop. */
  exitAllowed: boolean
}

// A port in use is one line before anything starts (nginx failing to bind later is caught too).
if (values.port !== 0) {
  const probe = createServer().listen(values.port, '127.0.0.1')
  try {
    await once(probe, 'listening')
  } catch (error) {
    console.error(listenError(error as NodeJS.ErrnoException, values.port))
    process.exit(1)
  }
  probe.close()
  await once(probe, 'close')
}

const folder = mkdtempSync(join(tmpdir(), 'ws-fanout-example-'))
const running = new Set<Child>()
let stopping = false
let keepFolder = false

/** freePort returns a loopback port that was free a moment ago (Redis and nginx cannot listen on port 0 and say which). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
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
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * start spawns `command` in a process group of its own (Ctrl-C reaches only us, and we stop
 * them in order), prints each line of its output after its name (`transform` may rewrite or
 * drop one), and watches its exit: one we did not ask for stops everything.
 */
function start(name: string, command: string, args: string[], transform: (line: string) => string | null = (line) => line): Child {
  const child: Child = { name, process: spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true }), exitAllowed: false }
  running.add(child)
  for (const stream of [child.process.stdout!, child.process.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      const shown = transform(line)
      if (shown !== null) console.log(`${name}: ${shown}`)
    })
  }
  child.process.once('error', (error) => console.error(`${name}: ${error.message}`))
  child.process.once('exit', (code, signal) => {
    running.delete(child)
    if (child.exitAllowed || stopping) return
    console.error(`${name} exited unexpectedly (${signal ?? `code ${code}`}): stopping everything`)
    void stop(1)
  })
  return child
}

/** exited resolves when `child` has exited, at once if it has. */
function exited(child: Child): Promise<unknown> {
  const { exitCode, signalCode } = child.process
  return exitCode !== null || signalCode !== null ? Promise.resolve() : once(child.process, 'exit')
}

/** terminate sends `child` `signal` and waits for it; after `boundMs`, its whole process group is killed. */
async function terminate(child: Child, signal: NodeJS.Signals, boundMs: number): Promise<void> {
  child.exitAllowed = true
  const gone = exited(child)
  child.process.kill(signal)
  const timer = new AbortController()
  await Promise.race([gone, sleep(boundMs, undefined, { signal: timer.signal }).catch(() => {})])
  timer.abort()
  if (child.process.exitCode === null && child.process.signalCode === null) killGroup(child)
  await gone
}

/** killGroup sends SIGKILL to the process group `child` leads (nginx's master and its worker), if it is still there. */
function killGroup(child: Child): void {
  try {
    process.kill(-child.process.pid!, 'SIGKILL')
  } catch {
    // gone already
  }
}

/** waitUntilAccepting resolves once `port` takes connections; throws if `child` exits first or 10 s pass. */
async function waitUntilAccepting(child: Child, port: number, log = ''): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) break
    if (await accepts(port)) return
    await sleep(100)
  }
  const why = log !== '' && existsSync(log) ? `: ${readFileSync(log, 'utf8').trim().split('\n').at(-1)}` : ''
  throw new Error(`${child.name} did not take connections on 127.0.0.1:${port}${why}`)
}

// Redis: pub/sub only, nothing kept (no RDB, no AOF), warnings only.
const redisPort = await freePort()
const redisUrl = `redis://127.0.0.1:${redisPort}`
/** The redis-server running now, or the one last stopped. */
let redis: Child | null = null
/** startRedis starts redis-server on its port (the same each time) and resolves once it takes connections. */
async function startRedis(): Promise<void> {
  const child = start('redis-server', redisPath, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', folder, '--loglevel', 'warning'])
  redis = child
  await waitUntilAccepting(child, redisPort)
  console.log(`redis-server (pid ${child.process.pid}) on 127.0.0.1:${redisPort}`)
}

/** The nodes, each once it listens, with the port it got. */
const nodes = new Map<string, { child: Child; port: number }>()
/** startNode starts examples/fanout/node.ts as `name` on a free port and resolves once it listens (its Redis connected). */
function startNode(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = start(name, process.execPath, [...process.execArgv, nodeScript, '--port', '0', '--redis', redisUrl, '--name', name], (line) => {
      // Its "listening on" line is replaced by ours: one program, one "listening on" line.
      const match = /^listening on 127\.0\.0\.1:(\d+)/.exec(line)
      if (match === null) return line
      nodes.set(name, { child, port: Number(match[1]) })
      console.log(`${name} (pid ${child.process.pid}) on 127.0.0.1:${match[1]}`)
      resolve()
      return null
    })
    child.process.once('exit', () => reject(new Error(`${name} exited before it listened`)))
  })
}

/**
 * nginxConfig balances the upgrades to `/` over the nodes; everything nginx writes stays in
 * the folder.
 */
function nginxConfig(port: number): string {
  const servers = [...nodes.values()].map(({ port }) => `    server 127.0.0.1:${port};`)
  return `# Written by examples/fanout/run.ts; everything nginx writes stays in ${folder}.
${process.getuid?.() === 0 ? 'user root;  # the workers must reach this folder (mkdtemp: 0700, root\'s)\n' : ''}worker_processes 1;
worker_rlimit_nofile 16384;
pid ${folder}/nginx.pid;
error_log ${folder}/error.log notice;
# A graceful stop would wait for open WebSockets without end; we stop it with SIGTERM anyway.
worker_shutdown_timeout 2s;
events { worker_connections 8192; }
http {
  access_log ${folder}/access.log;
  client_body_temp_path ${folder}/client_body;
  proxy_temp_path ${folder}/proxy;
  fastcgi_temp_path ${folder}/fastcgi;
  uwsgi_temp_path ${folder}/uwsgi;
  scgi_temp_path ${folder}/scgi;
  # WebSockets live long: each new one goes to the node with the fewest open. A node that
  # refuses a connection (killed) is left out for 10 s, and the upgrade tried on the next one
  # (proxy_next_upstream's default: error, timeout).
  upstream chat {
    least_conn;
${servers.join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://chat;
      # RFC 6455 §4.1 through a proxy: HTTP/1.1 to the node, and the hop-by-hop Upgrade and
      # Connection fields (RFC 9110 §7.6.1, §7.8) passed on, which nginx does not by default.
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # An upgraded connection quiet for proxy_read_timeout (60 s by default) is cut: the
      # nodes' heartbeat (30 s) is well within an hour.
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }
  }
}
`
}

/** startNginx starts nginx in the foreground (daemon off) on `port` (a free one for 0) and resolves with the port. */
async function startNginx(wanted: number): Promise<number> {
  const port = wanted === 0 ? await freePort() : wanted
  const config = join(folder, 'nginx.conf')
  writeFileSync(config, nginxConfig(port))
  const errorLog = join(folder, 'error.log')
  const child = start('nginx', nginxPath, ['-p', folder, '-c', config, '-e', errorLog, '-g', 'daemon off;'])
  try {
    await waitUntilAccepting(child, port, errorLog)
  } catch (error) {
    const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''
    if (/Address already in use/.test(log)) throw new Error(`port ${port} is in use: pick another with --port N`)
    throw error
  }
  console.log(`nginx (pid ${child.process.pid}) on 127.0.0.1:${port} in front of ${[...nodes.keys()].sort().join(', ')}`)
  return port
}

/** stop stops the nodes (1001 to their clients, their counts printed), then nginx, then Redis, and exits with `code`. */
async function stop(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  keepFolder = code !== 0
  const nodeBound = stopTimeoutMs * 2 + 2000 // a node's close wait, then leaving Redis, each bounded
  await Promise.all([...running].filter((child) => nodes.has(child.name)).map((child) => terminate(child, 'SIGTERM', nodeBound)))
  for (const name of ['nginx', 'redis-server']) {
    for (const child of [...running].filter((child) => child.name === name)) await terminate(child, 'SIGTERM', 5000)
  }
  console.log(`stopped: nodes, nginx and redis-server${keepFolder ? `; nginx's logs kept in ${folder}` : ''}`)
  process.exit(code)
}

// Whatever ends this process, nothing of ours outlives it.
process.on('exit', () => {
  for (const child of running) killGroup(child)
  if (!keepFolder) rmSync(folder, { recursive: true, force: true })
})
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))
process.on('SIGHUP', () => void stop(0))

/** command runs one line typed on standard input. */
async function command(line: string): Promise<void> {
  const [verb = '', what = ''] = line.trim().split(/\s+/)
  if (verb === '') return
  if (verb === 'kill' && nodes.has(what)) {
    const { child } = nodes.get(what)!
    if (!running.has(child)) return void console.log(`${what} is not running`)
    await terminate(child, 'SIGKILL', 5000)
    console.log(`${what} killed (SIGKILL): its clients reconnect through nginx to the other nodes`)
  } else if (verb === 'stop' && what === 'redis') {
    if (redis === null || !running.has(redis)) return void console.log('redis-server is not running')
    await terminate(redis, 'SIGKILL', 5000)
    console.log('redis-server stopped (SIGKILL): each node still serves its own members; what goes between the nodes is lost, and counted')
  } else if (verb === 'start' && what === 'redis') {
    if (redis !== null && running.has(redis)) return void console.log('redis-server is running')
    await startRedis()
    console.log('redis-server started again: the nodes reconnect and resubscribe by themselves')
  } else if (verb === 'stats') {
    for (const name of nodeNames) {
      const { child, port } = nodes.get(name)!
      if (!running.has(child)) continue
      const response = await fetch(`http://127.0.0.1:${port}/stats`)
      console.log(`${name} stats: ${(await response.text()).trim()}`)
    }
  } else {
    console.log(`unknown command '${line.trim()}': kill ${nodeNames.join('|')}, stop redis, start redis, stats`)
  }
}

try {
  await startRedis()
  await Promise.all(nodeNames.map(startNode))
  const port = await startNginx(values.port)
  console.log(`listening on 127.0.0.1:${port} (--port N for another; Ctrl-C stops everything)`)
  console.log(`chat rooms at ws://127.0.0.1:${port}/room/NAME; type kill NODE, stop redis, start redis or stats`)
} catch (error) {
  console.error((error as Error).message)
  await stop(1)
}

// One command at a time, in the order typed; an end of input (none given) changes nothing.
let queue = Promise.resolve()
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(() => command(line)).catch((error: Error) => console.error(`${line.trim()}: ${error.message}`))
})
