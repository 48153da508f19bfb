// Issue 13: what a person running an example sees. `--help` prints the usage and exits 0; an
// unknown flag or a bad value is one line on stderr naming the flag and what it accepts, exit
// code 2; a port in use is one line, exit code 1. None of them a stack trace.
import { once } from 'node:events'
import { createServer } from 'node:net'
import t from 'tap'
import { runToEnd } from './run-example.js'

const runnable = ['echo', 'echo-raw', 'json-stream', 'chat', 'cluster', 'http-upgrade', 'deflate-echo', 'custom-compressor', 'express', 'fastify', 'client', 'fanout/node', 'fanout/run']

t.test('--help prints the usage and exits 0', async (t) => {
  for (const name of runnable) {
    const { code, stdout, stderr } = await runToEnd(name, ['--help'])
    t.equal(code, 0, `${name}: exit code 0`)
    t.match(stdout, new RegExp(`^examples/${name}\\.ts: \\S.*\\n\\nusage: pnpm exec tsx examples/${name}\\.ts `), `${name}: a description, then the usage line`)
    t.match(stdout, /\n {2}--help, -h +print this and exit\n/, `${name}: the flags`)
    if (name !== 'client') t.match(stdout, /\n {2}--port N +port on 127\.0\.0\.1 to listen on, 0 for any free one \(default 8080\)\n/, `${name}: --port and its default`)
    t.equal(stderr, '', `${name}: nothing on stderr`)
  }
})

t.test('a usage error is one line on stderr and exit code 2', async (t) => {
  const cases: [string, string[], RegExp][] = [
    ['echo', ['--bogus'], /^examples\/echo\.ts: unknown flag --bogus: accepted are --port, --ping-interval, --ping-timeout \(see --help\)\n$/],
    ['echo', ['--port', 'eighty'], /^examples\/echo\.ts: invalid --port 'eighty': an integer from 0 to 65535 \(see --help\)\n$/],
    ['deflate-echo', ['--engine', 'brotli'], /^examples\/deflate-echo\.ts: invalid --engine 'brotli': fflate or zlib \(see --help\)\n$/],
    ['deflate-echo', ['--level'], /^examples\/deflate-echo\.ts: --level needs a value: 1-9 \(see --help\)\n$/],
    ['cluster', ['--workers', '0'], /^examples\/cluster\.ts: invalid --workers '0': an integer from 1 to 1024 \(see --help\)\n$/],
    ['client', ['--port', '1'], /^examples\/client\.ts: unknown flag --port: accepted are none but --help \(see --help\)\n$/],
    ['fanout/node', ['--redis'], /^examples\/fanout\/node\.ts: --redis needs a value: URL \(see --help\)\n$/],
    ['fanout/node', ['--redis', 'http://127.0.0.1:6379'], /^examples\/fanout\/node\.ts: invalid --redis 'http:\/\/127\.0\.0\.1:6379': a redis:\/\/ or rediss:\/\/ URL \(see --help\)\n$/],
  ]
  for (const [name, args, expected] of cases) {
    const { code, stdout, stderr } = await runToEnd(name, args)
    t.equal(code, 2, `${name} ${args.join(' ')}: exit code 2`)
    t.match(stderr, expected, `${name} ${args.join(' ')}: one line, naming the flag`)
    t.notMatch(stderr, /\n\s+at /, 'no stack trace')
    t.equal(stdout, '')
  }
})

t.test('a port in use is one line on stderr and exit code 1', async (t) => {
  const holder = createServer()
  holder.listen(0, '127.0.0.1')
  await once(holder, 'listening')
  t.teardown(() => holder.close())
  const port = (holder.address() as { port: number }).port
  for (const [name, args] of [['echo', []], ['http-upgrade', []], ['cluster', ['--workers', '2']], ['fanout/run', []]] as [string, string[]][]) {
    const { code, stderr } = await runToEnd(name, ['--port', String(port), ...args])
    t.equal(code, 1, `${name}: exit code 1`)
    t.equal(stderr, `port ${port} is in use: pick another with --port N\n`, `${name}: one line`)
  }
})
