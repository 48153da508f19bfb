// Real peers against an echo server: the ws client and undici's WebSocket.
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'
import type { Test } from 'tap'
import { WebSocket as UndiciWebSocket } from 'undici'
import WebSocket from 'ws'

/** Sends each message with the ws client and collects the echoes, then closes with 1000; `options` are the ws client's (`ca` for wss://). */
export async function wsEcho(url: string, messages: { data: string | Buffer; fin?: boolean }[], protocols: string[] = [], options: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(url, protocols, options)
  await once(ws, 'open')
  const expected = messages.filter((m) => m.fin !== false).length
  const received: { data: Buffer; isBinary: boolean }[] = []
  const done = new Promise<void>((resolve) => ws.on('message', (data: Buffer, isBinary) => {
    received.push({ data, isBinary })
    if (received.length === expected) resolve()
  }))
  for (const { data, fin = true } of messages) ws.send(data, { fin })
  await done
  ws.close(1000)
  const [code] = await once(ws, 'close')
  if (code !== 1000) throw new Error(`closed with ${code}`)
  return received
}

/** The ws client: text, binary, empty, fragmented and 16 MiB messages come back intact. */
export async function checkWsEcho(t: Test, url: string, protocols: string[] = [], options: WebSocket.ClientOptions = {}): Promise<void> {
  const big = Buffer.alloc(16 * 1024 * 1024)
  for (let i = 0; i < big.length; i += 4096) big[i] = i / 4096
  const echoed = await wsEcho(url, [{ data: 'hello' }, { data: Buffer.from([0, 1, 2, 255]) }, { data: '' }, { data: 'κόσ', fin: false }, { data: 'με' }, { data: big }], protocols, options)
  t.same(echoed.map((m) => [m.isBinary, m.data.length]), [[false, 5], [true, 4], [false, 0], [false, 10], [true, big.length]])
  t.equal(echoed[0].data.toString(), 'hello')
  t.same([...echoed[1].data], [0, 1, 2, 255])
  t.equal(echoed[3].data.toString(), 'κόσμε', 'a fragmented message')
  t.ok(echoed[4].data.equals(big), '16 MiB, byte for byte')
}

/** undici's WebSocket: text and binary come back; a clean close. */
export async function checkUndiciEcho(t: Test, url: string): Promise<void> {
  const ws = new UndiciWebSocket(url)
  ws.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject })
  const replies: unknown[] = []
  const done = new Promise<void>((resolve) => {
    ws.onmessage = (event) => {
      replies.push(event.data)
      if (replies.length === 2) resolve()
    }
  })
  ws.send('undici says hi')
  ws.send(new Uint8Array([9, 8, 7]))
  await done
  t.equal(replies[0], 'undici says hi')
  t.same([...new Uint8Array(replies[1] as ArrayBuffer)], [9, 8, 7])
  const closed = new Promise<number>((resolve) => (ws.onclose = (event) => resolve(event.code)))
  ws.close(1000)
  t.equal(await closed, 1000)
}

/**
 * launchChromium starts Debian's headless Chromium with a fresh profile, closed and removed at
 * teardown; `extraArgs` go after the usual ones (the wss:// tests trust their certificate with
 * `--ignore-certificate-errors-spki-list`).
 */
export async function launchChromium(t: Test, extraArgs: string[] = []): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-'))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  })
  t.teardown(async () => {
    await browser.close()
    rmSync(profile, { recursive: true, force: true })
  })
  return browser
}
