// Every runnable block runs, and does what its text promises against a real peer: the check
// its marker names (checks.ts). Servers listen on a free loopback port (listen-hook.ts).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { allBlocks } from './all-blocks.js'
import { where } from './blocks.js'
import { type Assert, checks } from './checks.js'
import { snippetFolder, writeSnippet } from './snippet-files.js'

const folder = snippetFolder('run')
t.teardown(() => folder.remove())

const blocks = allBlocks().filter((block) => block.kind === 'run')
blocks.forEach((block, i) => {
  const check = checks[block.argument]
  t.test(`${where(block)}: ${block.argument}`, async (t) => {
    if (check === undefined) return t.fail(`no check named ${block.argument}`)
    const file = writeSnippet(folder.dir, `run-${i}`, block)
    await check(t, file.path, block.code)
  })
})

/** Recorder is an Assert that keeps the failures and runs teardowns when asked. */
class Recorder implements Assert {
  failures: string[] = []
  private teardowns: (() => unknown)[] = []
  private record(pass: boolean, message: string): boolean {
    if (!pass) this.failures.push(message)
    return pass
  }
  ok(value: unknown, message: string) { return this.record(Boolean(value), message) }
  equal(found: unknown, wanted: unknown, message: string) { return this.record(found === wanted, message) }
  same(found: unknown, wanted: unknown, message: string) { return this.record(JSON.stringify(found) === JSON.stringify(wanted), message) }
  match(found: unknown, pattern: RegExp, message: string) { return this.record(pattern.test(String(found)), message) }
  teardown(fn: () => unknown) { this.teardowns.push(fn) }
  /** end runs the teardowns, as tap does at a test's end. */
  async end() { for (const fn of this.teardowns) await fn() }
}

/** failuresOf runs `check` on `code` with a Recorder: its failed assertions, and the error it threw, if any. */
async function failuresOf(name: string, code: string): Promise<string[]> {
  const path = join(folder.dir, `self-${name}-${Date.now()}.ts`)
  writeFileSync(path, code)
  const recorder = new Recorder()
  try {
    await checks[name](recorder, path, code)
  } catch (error) {
    recorder.failures.push(`threw: ${(error as Error).message}`)
  } finally {
    await recorder.end()
  }
  return recorder.failures
}

t.test('self-test: a server that crashes on a plain GET / fails echo-server', async (t) => {
  // The old ws-flate README snippet, made whole: acceptSocket's rejection is not handled.
  const failures = await failuresOf('echo-server', `
import { createServer } from 'node:net'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, readClientData } from '@ws-toolkit/ws-util'
const upgrader = new Upgrader()
createServer(async (socket) => {
  const accepted = await acceptSocket(socket, upgrader)
  readClientData(socket, accepted.head, { onMessage: () => {} })
}).listen(8080)
`)
  t.ok(failures.length > 0, `it fails: ${failures.join('; ')}`)
})

t.test('self-test: an echo server that does not compress fails deflate-echo-server', async (t) => {
  const failures = await failuresOf('deflate-echo-server', `
import { createServer } from 'node:net'
import { Upgrader } from '@ws-toolkit/ws-core'
import { acceptSocket, BatchWriter, readClientData } from '@ws-toolkit/ws-util'
const upgrader = new Upgrader()
createServer(async (raw) => {
  const accepted = await acceptSocket(raw, upgrader).catch(() => null)
  if (accepted === null) return
  const writer = new BatchWriter(accepted.socket, { side: 'server' })
  readClientData(accepted.socket, accepted.head, { onMessage: (opCode, data) => writer.writeMessage(opCode, data) }, { writer })
}).listen(8080)
`)
  t.ok(failures.some((failure) => /permessage-deflate negotiated/.test(failure)), `it fails: ${failures.join('; ')}`)
})

t.test('self-test: a block printing other than its comments say fails output', async (t) => {
  const failures = await failuresOf('output', 'console.log(1 + 2) // 4\n')
  t.same(failures, ['prints what its comments say'])
})
