// The checks a runnable block names in its marker (`<!-- doc-test: run NAME -->`): what the
// block's text promises, verified against a real peer. Each runs the block with runSnippet and
// stops it at the end.
import { echoServer, plainGet, redisServer, wsEcho } from './peers.js'
import { runSnippet } from './run-snippet.js'

/**
 * Assert is the part of tap's Test a check uses, so that a self-test can run a check with a
 * recorder instead and see it fail.
 */
export interface Assert {
  /** ok passes when `value` is truthy. */
  ok(value: unknown, message: string): unknown
  /** equal passes when `found === wanted`. */
  equal(found: unknown, wanted: unknown, message: string): unknown
  /** same passes when `found` and `wanted` are deeply equal. */
  same(found: unknown, wanted: unknown, message: string): unknown
  /** match passes when `found` matches `pattern`. */
  match(found: unknown, pattern: RegExp, message: string): unknown
  /** teardown runs `fn` when the test ends. */
  teardown(fn: () => unknown): unknown
}

/** Check verifies one runnable block written to `file`, whose code is `code`. */
export type Check = (t: Assert, file: string, code: string) => Promise<void>

/**
 * promisedOutput returns the lines a block promises to print: the trailing `// text` comment of
 * each line that calls console.log, in order (`console.log(x) // Hello` promises "Hello").
 */
export function promisedOutput(code: string): string[] {
  const lines: string[] = []
  for (const line of code.split('\n')) {
    const match = /console\.log\(.*\)\s*\/\/\s*(.*?)\s*$/.exec(line)
    if (match) lines.push(match[1])
  }
  return lines
}

/** printedLines splits a program's stdout into lines, without the last empty one. */
function printedLines(stdout: string): string[] {
  return stdout.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '')
}

/** checkOutput runs the block to its end: exit code 0, and stdout is exactly the promised lines. */
async function checkOutput(t: Assert, file: string, code: string, args: readonly string[] = []): Promise<void> {
  const expected = promisedOutput(code)
  t.ok(expected.length > 0, 'the block promises some output (console.log(...) // expected)')
  const run = runSnippet(file, args)
  const { code: exitCode, signal } = await run.exited
  const { stdout, stderr } = run.output()
  t.equal(exitCode, 0, `exits with 0${signal ? ` (killed by ${signal})` : ''}${stderr ? `; stderr: ${stderr}` : ''}`)
  t.same(printedLines(stdout), expected, 'prints what its comments say')
}

/** A 64 KiB JSON text: compresses well, and spans several socket reads. */
const json = JSON.stringify(Array.from({ length: 800 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] }))).slice(0, 64 * 1024)

/**
 * checkServer runs a server block: a plain `GET /` is refused with a 4xx and the server lives
 * on; the ws client gets text, binary, a fragmented text and a 1 MiB binary message echoed
 * (with permessage-deflate negotiated and the replies compressed on the wire when `deflate`);
 * the server is still running at the end.
 */
async function checkServer(t: Assert, file: string, deflate: boolean): Promise<void> {
  const run = runSnippet(file)
  t.teardown(() => run.stop())
  const port = await run.listening
  const status = await plainGet(port)
  t.ok(status >= 400 && status < 500, `a plain GET / is refused with a 4xx (got ${status})`)
  const big = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < big.length; i += 997) big[i] = i % 251
  const url = `ws://127.0.0.1:${port}/`
  const echoed = await wsEcho(url, [
    { data: 'hello' }, { data: Buffer.from([0, 1, 2, 255]) }, { data: 'κόσ', fin: false }, { data: 'με' }, { data: big }, { data: json },
  ], deflate)
  t.same(echoed.messages.map((m) => m.isBinary), [false, true, false, true, false], 'replies keep their opcodes')
  t.equal(echoed.messages[0]?.data.toString(), 'hello', 'text echoed')
  t.same([...(echoed.messages[1]?.data ?? [])], [0, 1, 2, 255], 'binary echoed')
  t.equal(echoed.messages[2]?.data.toString(), 'κόσμε', 'a fragmented message echoed whole')
  t.ok(echoed.messages[3]?.data.equals(big), '1 MiB binary echoed byte for byte')
  t.equal(echoed.messages[4]?.data.toString(), json, '64 KiB JSON echoed')
  t.equal(echoed.closeCode, 1000, 'the close is answered with 1000')
  if (deflate) {
    t.match(echoed.extensions, /permessage-deflate/, 'permessage-deflate negotiated')
    const sent = 5 + 4 + 10 + big.length + json.length
    t.ok(echoed.bytesRead < sent / 2, `replies compressed on the wire (${echoed.bytesRead} bytes read for ${sent} echoed)`)
    const plain = await wsEcho(url, [{ data: 'no deflate offered' }], false)
    t.equal(plain.messages[0]?.data.toString(), 'no deflate offered', 'a client that offers no compression is echoed too')
    t.equal(plain.extensions, '', 'and nothing is negotiated')
  }
  t.equal(run.child.exitCode, null, 'the server is still running')
  t.equal(run.output().stderr, '', 'and wrote nothing on stderr')
}

/** checks are the checks markers may name, by name. */
export const checks: Record<string, Check> = {
  /** The block runs to its end, exits 0 and prints what its `// text` comments say. */
  output: (t, file, code) => checkOutput(t, file, code),
  /** A client: given the URL of a `ws` echo server as its argument, it exits 0 and prints what its comments say. */
  client: async (t, file, code) => {
    const server = await echoServer()
    t.teardown(() => server.close())
    await checkOutput(t, file, code, [server.url])
  },
  /** A program that talks to Redis: given the URL of a redis-server of its own as its argument, it exits 0 and prints what its comments say. */
  'redis-client': async (t, file, code) => {
    const redis = await redisServer()
    t.teardown(() => redis.close())
    await checkOutput(t, file, code, [redis.url])
  },
  /** An echo server: survives a plain GET /, echoes the ws client's messages. */
  'echo-server': (t, file) => checkServer(t, file, false),
  /** An echo server with permessage-deflate: as echo-server, and compresses what it sends. */
  'deflate-echo-server': (t, file) => checkServer(t, file, true),
}
