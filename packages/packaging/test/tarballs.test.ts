// The tarball consumer test: build ws-core, ws-util, ws-flate and ws-fanout, `pnpm pack` them,
// install the four tarballs (and fflate and @redis/client, from the registry) into a scratch npm
// project outside the workspace, type-check a TypeScript echo server and a fan-out node against them under the strictest settings a
// user may have (exactOptionalPropertyTypes, skipLibCheck false), compile it, run it under plain
// `node` and talk to it with the `ws` client on loopback. Then require() the packages from
// CommonJS (require(esm), Node >= 20.19) and dry-run `npm publish` on each tarball.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import WebSocket from 'ws'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const packages = ['ws-core', 'ws-util', 'ws-flate', 'ws-fanout'] as const
const tsc = join(root, 'node_modules/typescript/bin/tsc')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * cleanEnv is this process's environment without what tap and pnpm put in it (loaders in
 * NODE_OPTIONS, coverage, npm_config_* settings), so that children run as they would for a user.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key === 'NODE_V8_COVERAGE' || /^(npm_|TAP|_TAPJS)/i.test(key)) continue
    env[key] = value
  }
  return env
}

function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}

async function mustRun(command: string, args: string[], cwd: string): Promise<Run> {
  const result = await run(command, args, cwd)
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.code}\n${result.stdout}\n${result.stderr}`)
  return result
}

async function readJson(path: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, any>
}

// The consumer's server: an echo server with permessage-deflate, written against the packed
// packages' public types the way their READMEs and examples use them.
const serverSource = `import { createServer } from 'node:net'
import { HandshakeRejection, Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, type Accepted, BatchWriter, readClientData } from '@ws-toolkit/ws-util'
import { agreementOf, deflateNegotiator, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { zlibEngine } from '@ws-toolkit/ws-flate/zlib'

function report(event: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(event) + '\\n')
}

const upgrader = new Upgrader({ negotiate: deflateNegotiator({ minWindowBits: zlibEngine.minWindowBits }) })

const server = createServer(async (socket) => {
  let accepted: Accepted<typeof socket>
  try {
    accepted = await acceptSocket(socket, upgrader, { timeoutMs: 5000 })
  } catch (error) {
    // A refused handshake was answered with its HTTP status and the socket closed.
    if (error instanceof HandshakeRejection) report({ event: 'rejected', status: error.status, message: error.message })
    else report({ event: 'failed', message: error instanceof Error ? error.message : String(error) })
    return
  }
  const connection = accepted.socket
  const first = accepted.extensions[0]
  const agreement = first === undefined ? null : agreementOf(first)
  const deflate = agreement === null ? null : new PerMessageDeflate(agreement, 'server', { engine: zlibEngine, threshold: 0 })
  const writer = new BatchWriter(connection, deflate === null ? { side: 'server' } : { side: 'server', compressor: deflate.deflater })
  const resume = () => connection.resume()
  let messages = 0
  readClientData(connection, accepted.head, {
    onMessage(opCode, data) {
      messages++
      // The peer does not read as fast as it writes: stop reading until the socket drains.
      if (!writer.writeMessage(opCode, data) && !connection.isPaused()) {
        connection.pause()
        connection.once('drain', resume)
      }
    },
    onClose(reason) {
      deflate?.close()
      report({ event: 'closed', reason: reason.message, deflate: deflate !== null, messages, bytesRead: connection.bytesRead, bytesWritten: connection.bytesWritten })
    },
  }, deflate === null ? { writer } : { writer, decompressor: deflate.inflater })
  connection.resume()
})

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  report({ event: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 })
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
`

// ws-fanout's types as a node uses them (compiled, not run: it would need a Redis).
const fanoutSource = `import { Fanout, type Subscriber } from '@ws-toolkit/ws-fanout'
import { RedisTransport } from '@ws-toolkit/ws-fanout/redis'
import { BatchWriter } from '@ws-toolkit/ws-util'
import type { Socket } from 'node:net'

export async function node(url: string, socket: Socket): Promise<Fanout> {
  const fanout = new Fanout({ transport: await RedisTransport.connect({ url, sharded: true }), slow: 1013 })
  const subscriber: Subscriber = { target: new BatchWriter(socket, { side: 'server' }), deflate: null, close: () => socket.destroy() }
  await fanout.subscribe('room', subscriber)
  const taken: boolean = await fanout.publish('room', 'hello')
  if (!taken) console.log(fanout.stats.publishFailed)
  return fanout
}
`

const requireSource = `'use strict'
const core = require('@ws-toolkit/ws-core')
const util = require('@ws-toolkit/ws-util')
const flate = require('@ws-toolkit/ws-flate')
const zlib = require('@ws-toolkit/ws-flate/zlib')
const fanout = require('@ws-toolkit/ws-fanout')
const redis = require('@ws-toolkit/ws-fanout/redis')
console.log(JSON.stringify({
  Upgrader: typeof core.Upgrader,
  acceptSocket: typeof util.acceptSocket,
  BatchWriter: typeof util.BatchWriter,
  PerMessageDeflate: typeof flate.PerMessageDeflate,
  zlibEngine: typeof zlib.zlibEngine,
  Fanout: typeof fanout.Fanout,
  RedisTransport: typeof redis.RedisTransport,
  version: require('@ws-toolkit/ws-core/package.json').version,
}))
`

/** ServerEvents hands over the JSON lines the scratch server prints, in order. */
class ServerEvents {
  private buffered = ''
  private readonly events: Record<string, any>[] = []
  private waiter: (() => void) | null = null

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      this.buffered += chunk
      let newline
      while ((newline = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, newline)
        this.buffered = this.buffered.slice(newline + 1)
        if (line.trim() !== '') this.events.push(JSON.parse(line) as Record<string, any>)
      }
      this.waiter?.()
    })
  }

  async next(event: string): Promise<Record<string, any>> {
    for (;;) {
      const index = this.events.findIndex((e) => e.event === event)
      if (index >= 0) return this.events.splice(index, 1)[0]!
      await new Promise<void>((resolvePromise) => (this.waiter = resolvePromise))
      this.waiter = null
    }
  }
}

function open(url: string, options: WebSocket.ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, options)
  return new Promise((resolvePromise, reject) => {
    ws.once('open', () => resolvePromise(ws))
    ws.once('error', reject)
  })
}

async function echo(ws: WebSocket, data: string | Buffer): Promise<{ data: Buffer, isBinary: boolean }> {
  const reply = once(ws, 'message') as Promise<[Buffer, boolean]>
  ws.send(data)
  const [received, isBinary] = await reply
  return { data: received, isBinary }
}

const scratch = await mkdtemp(join(tmpdir(), 'ws-toolkit-consumer-'))
t.teardown(() => rm(scratch, { recursive: true, force: true }))
const tarballDir = join(scratch, 'tarballs')
const tarballs: Record<string, string> = {}

t.before(async () => {
  // From a fresh clone dist/ does not exist: build it (each package's prepack does too).
  await mustRun(process.execPath, [tsc, '-b', ...packages.map((name) => join(root, 'packages', name))], root)
  await mkdir(tarballDir)
  for (const name of packages) {
    await mustRun('pnpm', ['pack', '--pack-destination', tarballDir], join(root, 'packages', name))
    tarballs[name] = join(tarballDir, `ws-toolkit-${name}-0.1.0.tgz`)
  }
})

t.test('each tarball holds dist, types, LICENSE and a package.json without workspace: ranges', async (t) => {
  for (const name of packages) {
    const list = (await mustRun('tar', ['tzf', tarballs[name]!], scratch)).stdout.split('\n').filter(Boolean)
    t.ok(list.includes('package/dist/index.js'), `${name}: dist/index.js`)
    t.ok(list.includes('package/dist/index.d.ts'), `${name}: dist/index.d.ts`)
    t.ok(list.includes('package/LICENSE'), `${name}: LICENSE`)
    t.ok(list.includes('package/README.md'), `${name}: README.md`)
    t.ok(list.includes('package/CHANGELOG.md'), `${name}: CHANGELOG.md`)
    t.same(list.filter((path) => /(^package\/test\/|\.test\.[cm]?[jt]s$|tsbuildinfo$)/.test(path)), [], `${name}: no tests, no build info`)
    const manifest = JSON.parse((await mustRun('tar', ['xzf', tarballs[name]!, '-O', 'package/package.json'], scratch)).stdout) as Record<string, any>
    const source = await readJson(join(root, 'packages', name, 'package.json'))
    t.equal(manifest.license, 'MIT', `${name}: license`)
    t.match(await mustRun('tar', ['xzf', tarballs[name]!, '-O', 'package/LICENSE'], scratch), { stdout: /MIT License[^]*ws-toolkit contributors/ }, `${name}: LICENSE text`)
    t.same(manifest.publishConfig, { access: 'public' }, `${name}: public access`)
    t.equal(manifest.repository?.directory, `packages/${name}`, `${name}: repository.directory`)
    t.notOk(JSON.stringify(manifest.dependencies ?? {}).includes('workspace:'), `${name}: no workspace: range left`)
    for (const [dependency, range] of Object.entries<string>(source.dependencies ?? {})) {
      const expected = range.startsWith('workspace:') ? (await readJson(join(root, 'packages', dependency.replace('@ws-toolkit/', ''), 'package.json'))).version : range
      t.equal(manifest.dependencies[dependency], expected, `${name}: ${dependency} ${expected}`)
    }
    // Every path that exports and types name is in the tarball.
    const targets = [manifest.types, ...Object.values<any>(manifest.exports).flatMap((target) => typeof target === 'string' ? [target] : Object.values<string>(target))]
    for (const target of targets) t.ok(list.includes(`package/${target.replace(/^\.\//, '')}`), `${name}: ${target} is packed`)
  }
})

t.test('a TypeScript consumer installs the tarballs with npm, type-checks, compiles and echoes', async (t) => {
  const flate = await readJson(join(root, 'packages/ws-flate/package.json'))
  const fanout = await readJson(join(root, 'packages/ws-fanout/package.json'))
  const typesNode = await readJson(join(root, 'node_modules/@types/node/package.json'))
  const consumer = join(scratch, 'consumer')
  await mkdir(join(consumer, 'src'), { recursive: true })
  await writeFile(join(consumer, 'package.json'), JSON.stringify({
    name: 'ws-toolkit-consumer',
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies: {
      '@ws-toolkit/ws-core': `file:${tarballs['ws-core']}`,
      '@ws-toolkit/ws-util': `file:${tarballs['ws-util']}`,
      '@ws-toolkit/ws-flate': `file:${tarballs['ws-flate']}`,
      '@ws-toolkit/ws-fanout': `file:${tarballs['ws-fanout']}`,
      '@redis/client': fanout.devDependencies['@redis/client'],
      fflate: flate.dependencies.fflate,
    },
    devDependencies: { '@types/node': typesNode.version },
  }, null, 2))
  await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      types: ['node'],
      rootDir: 'src',
      outDir: 'dist',
    },
    include: ['src'],
  }, null, 2))
  await writeFile(join(consumer, 'src/server.ts'), serverSource)
  await writeFile(join(consumer, 'src/fanout.ts'), fanoutSource)
  await writeFile(join(consumer, 'require.cjs'), requireSource)

  await mustRun('npm', ['install', '--no-audit', '--no-fund'], consumer)
  for (const name of packages) {
    const installed = await readJson(join(consumer, 'node_modules/@ws-toolkit', name, 'package.json'))
    t.equal(installed.version, '0.1.0', `${name} installed from its tarball`)
  }
  const lock = await readJson(join(consumer, 'package-lock.json'))
  t.notOk(lock.packages['node_modules/@ws-toolkit/ws-util/node_modules/@ws-toolkit/ws-core'], 'one ws-core: the tarball satisfies ws-util\'s range')
  t.equal(lock.packages['node_modules/fflate']?.version, flate.dependencies.fflate, 'fflate from the registry, ws-flate\'s version')

  const checked = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], consumer)
  t.equal(checked.code, 0, 'the consumer type-checks (strict, exactOptionalPropertyTypes, skipLibCheck false)', { output: checked.stdout + checked.stderr })
  await mustRun(process.execPath, [tsc, '-p', 'tsconfig.json'], consumer)

  const server = spawn(process.execPath, ['dist/server.js'], { cwd: consumer, env: cleanEnv(), stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { server.kill('SIGTERM') })
  const events = new ServerEvents(server.stdout)
  const { port } = await events.next('listening')
  const url = `ws://127.0.0.1:${port}/`

  t.test('a request that is not a WebSocket handshake is refused and the server goes on', async (t) => {
    const socket = connect(port, '127.0.0.1')
    socket.end('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    let response = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => (response += chunk))
    await once(socket, 'close')
    t.match(response, /^HTTP\/1\.1 4\d\d /, 'answered with a 4xx status')
    const rejected = await events.next('rejected')
    t.match(rejected.status, Number, 'the server caught the HandshakeRejection')
    t.equal(rejected.status, Number(response.slice(9, 12)), 'with the status it answered')
  })

  t.test('permessage-deflate echo: text, binary, compressed', async (t) => {
    const ws = await open(url, { perMessageDeflate: { threshold: 0 } })
    t.match(ws.extensions, /permessage-deflate/, 'permessage-deflate negotiated')
    const text = await echo(ws, 'hello, tarball')
    t.same([text.data.toString('utf8'), text.isBinary], ['hello, tarball', false], 'text')
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    const binary = await echo(ws, bytes)
    t.same([Buffer.compare(binary.data, bytes), binary.isBinary], [0, true], 'binary')
    const big = 'ws-toolkit '.repeat(20_000)
    const large = await echo(ws, big)
    t.ok(large.data.toString('utf8') === big && !large.isBinary, 'a 220 kB text message')
    ws.close(1000)
    await once(ws, 'close')
    const closed = await events.next('closed')
    t.match(closed, { deflate: true, messages: 3 }, 'the server echoed three messages with permessage-deflate')
    // 220 kB of repetitive text crossed the wire both ways in about a kilobyte: compressed.
    t.ok(closed.bytesRead < big.length / 10, `the client's messages arrived compressed (${closed.bytesRead} bytes in)`)
    t.ok(closed.bytesWritten < big.length / 10, `the server's echoes left compressed (${closed.bytesWritten} bytes out)`)
  })

  t.test('echo without compression', async (t) => {
    const ws = await open(url, { perMessageDeflate: false })
    t.equal(ws.extensions, '', 'no extension')
    const text = await echo(ws, 'plain')
    t.same([text.data.toString('utf8'), text.isBinary], ['plain', false], 'text')
    ws.close(1000)
    await once(ws, 'close')
    t.match(await events.next('closed'), { deflate: false, messages: 1 }, 'the server echoed one message without compression')
  })

  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
  const requireEsm = major > 20 || (major === 20 && minor >= 19)
  const skip = requireEsm ? false : `require(esm) needs Node.js >= 20.19, this is ${process.versions.node}`
  t.test('require() from CommonJS (require(esm))', { skip }, async (t) => {
    const required = await run(process.execPath, ['require.cjs'], consumer)
    t.equal(required.code, 0, 'require.cjs ran', { stderr: required.stderr })
    t.same(JSON.parse(required.stdout), {
      Upgrader: 'function', acceptSocket: 'function', BatchWriter: 'function', PerMessageDeflate: 'function', zlibEngine: 'object', Fanout: 'function', RedisTransport: 'function', version: '0.1.0',
    })
  })
})

t.test('npm publish --dry-run accepts each tarball without warnings about its contents', async (t) => {
  for (const name of packages) {
    const published = await run('npm', ['publish', '--dry-run', tarballs[name]!], scratch)
    t.equal(published.code, 0, `${name}: exit 0`, { stderr: published.stderr })
    // Not logged in is a warning about this machine, not about the package: allowed.
    const warnings = published.stderr.split('\n').filter((line) => /\bwarn/i.test(line) && !/requires you to be logged in/.test(line))
    t.same(warnings, [], `${name}: no warnings`)
    t.match(published.stderr, /dist\/index\.js/, `${name}: lists dist/index.js`)
    t.match(published.stderr, /public access/, `${name}: public access`)
  }
})
