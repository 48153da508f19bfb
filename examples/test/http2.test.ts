// Issue 16, WebSockets over HTTP/2 (RFC 8441): examples/http2.ts with real peers. Headless
// Chromium loads the page over h2 (trusting the test's certificate by its key's SPKI) and opens
// its WebSockets as extended CONNECT streams of that connection: the server says, per
// connection, which way it came (`#N /echo over h2 (session S)`), and the tests read those
// lines. node:http2's client sends what Chromium cannot (a fragmented message) on a stream of
// its own; the `ws` client connects to the same port over HTTP/1.1 and chats with the page.
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { get } from 'node:https'
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2'
import { dirname } from 'node:path'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { compileFrame, maskFrameWith, newCloseFrame, newFrame, newHeader, newTextFrame, OpCode, parseCloseBody, readHeader } from '@ws-toolkit/ws-core'
import { makeCertificate } from './certificate.js'
import { checkWsEcho, launchChromium } from './peers.js'
import { runExample, runToEnd } from './run-example.js'

const certificate = await makeCertificate(t)
const keyPair = ['--cert', certificate.certPath, '--key', certificate.keyPath]

/** until waits for `check` to hold, polling, for at most `ms`; then it fails naming `what`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** within bounds a promise: it rejects naming `what` if `promise` has not settled in `ms`. */
function within<T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}`)), ms)))
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The server's per-connection lines in `text`: number, path and how it came. */
function opened(text: string): { id: number; path: string; via: string; deflate: boolean }[] {
  return [...text.matchAll(/^#(\d+) (\S+) over (h2 \(session \d+\)|http\/1\.1)(, permessage-deflate)?$/gm)]
    .map((m) => ({ id: Number(m[1]), path: m[2]!, via: m[3]!, deflate: m[4] !== undefined }))
}

/**
 * chromiumEcho runs in the page: it opens `url` (on the page's own origin), sends a text, a binary
 * and a 16 MiB binary message, compares the echoes byte for byte, and closes with 1000. It
 * must be self-contained.
 */
async function chromiumEcho(url: string) {
  const ws = new WebSocket(url)
  ws.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('no connection')) })
  const big = new Uint8Array(16 * 1024 * 1024)
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >>> 12)) & 255
  const replies: (string | ArrayBuffer)[] = []
  const done = new Promise((resolve) => (ws.onmessage = (e) => { replies.push(e.data as string | ArrayBuffer); if (replies.length === 3) resolve(null) }))
  ws.send('from chromium, over h2')
  ws.send(new Uint8Array([0, 1, 2, 255]))
  ws.send(big)
  await done
  const back = new Uint8Array(replies[2] as ArrayBuffer)
  let same = back.length === big.length
  for (let i = 0; same && i < big.length; i++) same = back[i] === big[i]
  const closed = new Promise((resolve) => (ws.onclose = (e) => resolve([e.code, e.wasClean])))
  ws.close(1000)
  return { extensions: ws.extensions, text: replies[0], binary: [...new Uint8Array(replies[1] as ArrayBuffer)], bigLength: back.length, same, closed: await closed }
}

/** chromiumClose runs in the page: it opens /echo, gets an echo, closes with `code` and `reason`, and returns what onclose saw. */
async function chromiumClose({ url, code, reason }: { url: string; code: number; reason: string }) {
  const ws = new WebSocket(url)
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('no connection')) })
  const echoed = new Promise((resolve) => (ws.onmessage = (e) => resolve(e.data)))
  ws.send(`closing with ${code}`)
  const echo = await echoed
  const closed = new Promise((resolve) => (ws.onclose = (e) => resolve([e.code, e.reason, e.wasClean])))
  ws.close(code, reason)
  return { echo, closed: await closed }
}

/** chromiumMany runs in the page: `n` WebSockets to /echo at once, each echoing its own message, then each closed with 1000. */
async function chromiumMany({ url, n }: { url: string; n: number }) {
  const sockets = await Promise.all(Array.from({ length: n }, (_, i) => new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.onopen = () => resolve(ws)
    ws.onerror = () => reject(new Error(`socket ${i}: no connection`))
  })))
  const echoes = await Promise.all(sockets.map((ws, i) => new Promise((resolve) => {
    ws.onmessage = (e) => resolve(e.data === `socket ${i}`)
    ws.send(`socket ${i}`)
  })))
  const closes = await Promise.all(sockets.map((ws) => new Promise((resolve) => {
    ws.onclose = (e) => resolve(e.code === 1000 && e.wasClean)
    ws.close(1000)
  })))
  return { own: echoes.filter(Boolean).length, clean: closes.filter(Boolean).length }
}

/** The protocol the page's document came over, as the page saw it ('h2', 'http/1.1'): evaluated in the page. */
const nextHopProtocol = 'performance.getEntriesByType("navigation")[0].nextHopProtocol'

/** h2Session opens an h2 session to the example, trusting the test's certificate, and waits for its SETTINGS. */
async function h2Session(t: Test, port: number): Promise<ClientHttp2Session> {
  const session = connect(`https://127.0.0.1:${port}`, { ca: certificate.cert })
  t.teardown(() => session.destroy())
  await within(once(session, 'remoteSettings'), 'the server\'s SETTINGS')
  return session
}

/** An extended CONNECT for a WebSocket at `path` (RFC 8441 §4). */
function connectHeaders(port: number, path: string, extra: Record<string, string> = {}) {
  return { ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': path, ':authority': `127.0.0.1:${port}`, 'sec-websocket-version': '13', ...extra }
}

/** readFrames collects the frames a client stream receives; `frame(n)` waits for the `n`th. */
function readFrames(stream: ClientHttp2Stream) {
  const frames: { opCode: number; fin: boolean; payload: Buffer }[] = []
  let pending = Buffer.alloc(0)
  const header = newHeader()
  stream.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk])
    for (let size; (size = readHeader(pending, 0, header)) > 0 && pending.length >= size + header.length;) {
      frames.push({ opCode: header.opCode, fin: header.fin, payload: pending.subarray(size, size + header.length) })
      pending = pending.subarray(size + header.length)
    }
  })
  return async (n: number) => {
    await until(() => frames.length > n, `frame ${n}`)
    return frames[n]!
  }
}

/** A client frame on a raw stream: masked (RFC 6455 §5.3). */
const masked = (frame: ReturnType<typeof newTextFrame>) => compileFrame(maskFrameWith(frame, 0x5eed1e55))

t.test('examples/http2.ts', async (t) => {
  const { port, output } = await runExample(t, 'http2', keyPair)
  const origin = `https://127.0.0.1:${port}`
  const browser = await launchChromium(t, [`--ignore-certificate-errors-spki-list=${certificate.spki}`])
  const page = await browser.newPage()
  const response = await page.goto(`${origin}/`)
  t.equal(response!.status(), 200)
  t.equal(await page.evaluate(nextHopProtocol), 'h2', 'the page came over h2')

  t.test('the page\'s own WebSockets (echo and chat) are extended CONNECT streams of its h2 connection, compressed', async (t) => {
    await within(page.waitForSelector('text=echo: echo check'), 'the page\'s echo')
    await within(page.waitForSelector('text=welcome, user'), 'the page\'s chat welcome')
    t.match(await page.textContent('#status'), /^page over h2; chat open, extensions: permessage-deflate/)
    const lines = opened(output())
    t.same(lines.map(({ path, via, deflate }) => [path, via, deflate]).sort(), [['/chat', 'h2 (session 1)', true], ['/echo', 'h2 (session 1)', true]])
  })

  t.test('Chromium over h2: text, binary and 16 MiB byte for byte, permessage-deflate agreed; a clean 1000 the server saw', async (t) => {
    const before = output().length
    const result = await within(page.evaluate(chromiumEcho, `wss://127.0.0.1:${port}/echo`), 'the echo', 60_000)
    t.match(result.extensions, /^permessage-deflate/)
    t.same({ ...result, extensions: undefined }, { extensions: undefined, text: 'from chromium, over h2', binary: [0, 1, 2, 255], bigLength: 16 * 1024 * 1024, same: true, closed: [1000, true] })
    await until(() => / closed: connection closed by the peer with 1000$/m.test(output().slice(before)), 'the server\'s close line')
    const [line] = opened(output().slice(before))
    t.same(line && [line.path, line.via, line.deflate], ['/echo', 'h2 (session 1)', true])
    t.match(output().slice(before), new RegExp(`^#${line!.id} /echo closed: connection closed by the peer with 1000$`, 'm'))
  })

  t.test('close codes from the page: 1000, and 4001 with a reason; the server gets each and answers with it', async (t) => {
    for (const [code, reason] of [[1000, ''], [4001, 'page says bye']] as const) {
      const before = output().length
      const result = await within(page.evaluate(chromiumClose, { url: `wss://127.0.0.1:${port}/echo`, code, reason }), `close ${code}`)
      // The server answers with the code alone (RFC 6455 §5.5.1: echoing the reason is not asked for).
      t.same(result, { echo: `closing with ${code}`, closed: [code, '', true] }, `the page's ${code}, answered, clean`)
      const [line] = opened(output().slice(before))
      t.equal(line?.via, 'h2 (session 1)')
      await until(() => output().slice(before).includes(`#${line!.id} /echo closed: connection closed by the peer with ${code}${reason ? `: ${reason}` : ''}\n`), `the server's ${code}`)
    }
  })

  t.test('20 WebSockets from one page: all streams of one h2 session', async (t) => {
    const fresh = await launchChromium(t, [`--ignore-certificate-errors-spki-list=${certificate.spki}`])
    const other = await fresh.newPage()
    const before = output().length
    await other.goto(`${origin}/`)
    const result = await within(other.evaluate(chromiumMany, { url: `wss://127.0.0.1:${port}/echo`, n: 20 }), '20 echoes')
    t.same(result, { own: 20, clean: 20 }, 'each got its own echo and closed cleanly')
    const lines = opened(output().slice(before))
    t.equal(lines.filter((line) => line.path === '/echo').length, 21, 'the page\'s own echo and the 20')
    const sessions = new Set(lines.map((line) => line.via))
    t.equal(sessions.size, 1, `one connection: ${[...sessions].join(', ')}`)
    t.match([...sessions][0], /^h2 \(session \d+\)$/)
    t.not([...sessions][0], 'h2 (session 1)', 'a new browser, a new session')
  })

  t.test('a fragmented message over h2 (node:http2\'s client, as Chromium cannot send fragments), then a close both ways', async (t) => {
    const session = await h2Session(t, port)
    t.equal(session.remoteSettings.enableConnectProtocol, true, 'SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3)')
    const stream = session.request(connectHeaders(port, '/echo'), { endStream: false })
    const [headers] = (await within(once(stream, 'response'), 'the 200')) as [IncomingHttpHeaders]
    t.equal(headers[':status'], 200)
    t.notOk(headers['sec-websocket-extensions'], 'no deflate offered, none agreed')
    const frame = readFrames(stream)
    stream.write(masked(newFrame(OpCode.Text, false, Buffer.from('κόσ'))))
    stream.write(masked(newFrame(OpCode.Continuation, false, Buffer.from(''))))
    stream.write(masked(newFrame(OpCode.Continuation, true, Buffer.from('με'))))
    const echo = await frame(0)
    t.same({ opCode: echo.opCode, fin: echo.fin, text: echo.payload.toString() }, { opCode: OpCode.Text, fin: true, text: 'κόσμε' }, 'one message, whole')
    stream.write(masked(newCloseFrame(4002, 'done')))
    const close = await frame(1)
    t.equal(close.opCode, OpCode.Close)
    t.equal(parseCloseBody(close.payload).code, 4002, 'our close answered')
    if (!stream.readableEnded) await within(once(stream, 'end'), 'END_STREAM')
    stream.end()
    await until(() => / \/echo closed: connection closed by the peer with 4002: done$/m.test(output()), 'the server\'s close line')
  })

  t.test('the ws client over HTTP/1.1 on the same port: echo (text, binary, empty, fragmented, 16 MiB), compressed', async (t) => {
    const before = output().length
    await within(checkWsEcho(t, `wss://127.0.0.1:${port}/echo`, [], { ca: certificate.cert }), 'the ws echo', 60_000)
    t.same(opened(output().slice(before)).map(({ path, via, deflate }) => [path, via, deflate]), [['/echo', 'http/1.1', true]])
  })

  t.test('one chat room for both: the ws client (HTTP/1.1) and the page (h2) hear each other', async (t) => {
    const log = await page.$$eval('#log li', (items) => items.map((item) => item.textContent ?? ''))
    const pageName = log.find((line) => line.startsWith('welcome, '))!.replace('welcome, ', '')
    const ws = new WebSocket(`wss://127.0.0.1:${port}/chat`, { ca: certificate.cert })
    t.teardown(() => ws.terminate())
    const heard: string[] = []
    ws.on('message', (data: Buffer) => heard.push(data.toString()))
    await within(once(ws, 'open'), 'the ws client\'s chat')
    t.match(ws.extensions, /^permessage-deflate/)
    await until(() => heard.some((line) => line.startsWith('welcome, ')), 'the ws welcome')
    const wsName = heard[0]!.replace('welcome, ', '')
    await within(page.waitForSelector(`text=${wsName} joined`), 'the join on the page')
    ws.send('hello from http/1.1')
    await within(page.waitForSelector(`text=${wsName}: hello from http/1.1`), 'the ws message on the page')
    await page.fill('#text', 'hello from h2')
    await page.click('button')
    await until(() => heard.includes(`${pageName}: hello from h2`), 'the page\'s message at the ws client')
    t.ok(heard.includes(`${wsName}: hello from http/1.1`), 'its own message came back too')
    t.match(output(), new RegExp(`^#\\d+ /chat over http/1\\.1, permessage-deflate$`, 'm'))
    ws.close(1000)
    await within(page.waitForSelector(`text=${wsName} left`), 'the leave on the page')
  })

  t.test('beside the WebSockets: the page over HTTP/1.1, a 404 over h2, refused WebSockets (404, 403) on both', async (t) => {
    const http1 = await new Promise<string>((resolve, reject) => {
      get(`${origin}/`, { ca: certificate.cert }, (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(`${res.httpVersion} ${res.statusCode} ${text}`))
      }).on('error', reject)
    })
    t.match(http1, /^1\.1 200 <!doctype html>/, 'the page, over HTTP/1.1')
    const session = await h2Session(t, port)
    const ask = async (headers: Record<string, string>, endStream: boolean) => {
      const stream = session.request(headers, { endStream })
      const [response] = (await within(once(stream, 'response'), `${headers[':path']}'s answer`)) as [IncomingHttpHeaders]
      let body = ''
      stream.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      stream.on('error', () => {})
      await within(once(stream, 'close'), 'the stream\'s end')
      return `${response[':status']} ${body}`
    }
    t.match(await ask({ ':method': 'GET', ':path': '/nope', ':scheme': 'https', ':authority': `127.0.0.1:${port}` }, true), /^404 not found/)
    t.match(await ask({ ':method': 'GET', ':path': '/', ':scheme': 'https', ':authority': `127.0.0.1:${port}` }, true), /^200 <!doctype html>/)
    t.equal(await ask(connectHeaders(port, '/nope'), false), '404 no WebSocket here')
    t.equal(await ask(connectHeaders(port, '/echo', { origin: 'https://evil.example' }), false), '403 origin not allowed')
    for (const [target, options, expected] of [
      [`wss://127.0.0.1:${port}/nope`, {}, 404],
      [`wss://127.0.0.1:${port}/echo`, { origin: 'https://evil.example' }, 403],
    ] as const) {
      const ws = new WebSocket(target, { ca: certificate.cert, ...options })
      ws.on('error', () => {})
      const [, refused] = (await within(once(ws, 'unexpected-response'), `${target}'s refusal`)) as [unknown, { statusCode: number }]
      t.equal(refused.statusCode, expected, `HTTP/1.1 ${target} ${JSON.stringify(options)}`)
      ws.terminate()
    }
  })
})

t.test('examples/http2.ts with a certificate it makes itself; SIGTERM: 1001 to every connection, h2 and HTTP/1.1, exit 0', async (t) => {
  const { port, output, stop } = await runExample(t, 'http2')
  await until(() => /Chromium trusts it with/.test(output()), 'the certificate\'s line')
  const made = /made for this run \((.+\/cert\.pem), removed at exit\); Chromium trusts it with --ignore-certificate-errors-spki-list=(\S+)$/m.exec(output())
  t.ok(made, 'it says where the certificate is and how Chromium trusts it')
  const [, certPath, spki] = made!
  const cert = readFileSync(certPath!)
  const browser = await launchChromium(t, [`--ignore-certificate-errors-spki-list=${spki}`])
  const page = await browser.newPage()
  await page.goto(`https://127.0.0.1:${port}/`)
  t.equal(await page.evaluate(nextHopProtocol), 'h2')
  await within(page.waitForSelector('text=welcome, user 1'), 'the page\'s chat')
  await within(page.waitForSelector('text=echo: echo check'), 'the page\'s echo')
  // One more WebSocket from the page, whose close the test reads, and the ws client over HTTP/1.1.
  await page.evaluate(async (url) => {
    const ws = new WebSocket(url)
    await new Promise((resolve) => (ws.onopen = resolve));
    (globalThis as unknown as { lastClose: Promise<unknown> }).lastClose = new Promise((resolve) => (ws.onclose = (e) => resolve([e.code, e.reason, e.wasClean])))
  }, `wss://127.0.0.1:${port}/echo`)
  const ws = new WebSocket(`wss://127.0.0.1:${port}/echo`, { ca: cert })
  await within(once(ws, 'open'), 'the ws client')
  const wsClosed = once(ws, 'close')
  await until(() => opened(output()).length === 4, 'four connections')
  t.same(opened(output()).map((line) => line.via).sort(), ['h2 (session 1)', 'h2 (session 1)', 'h2 (session 1)', 'http/1.1'])
  const exit = await within(stop('SIGTERM'), 'the exit')
  t.same(exit, { code: 0, signal: null })
  t.same(await within(page.evaluate(() => (globalThis as unknown as { lastClose: Promise<unknown> }).lastClose), 'the page\'s close'), [1001, 'server stopping', true], 'the page gets 1001, cleanly')
  await within(page.waitForSelector('text=chat closed: 1001 server stopping'), 'the page\'s chat close')
  t.equal(((await within(wsClosed, 'the ws close')) as [number])[0], 1001, 'the ws client gets 1001')
  t.match(output(), /stopped on SIGTERM: 4 connections closed cleanly with 1001 \(going away\), 0 cut/)
  t.notOk(existsSync(dirname(certPath!)), 'the certificate\'s temp dir is gone')
})

t.test('examples/http2.ts pings its h2 WebSockets: a stream that never answers gets a close with 1001 (lib/heartbeat.ts)', async (t) => {
  const { port } = await runExample(t, 'http2', [...keyPair, '--ping-interval', '100', '--ping-timeout', '100'])
  const session = await h2Session(t, port)
  for (const path of ['/echo', '/chat']) {
    const stream = session.request(connectHeaders(port, path), { endStream: false })
    stream.on('error', () => {}) // a reset, once the server gives up on us
    await within(once(stream, 'response'), `${path}'s 200`)
    const frame = readFrames(stream)
    let n = 0
    while ((await frame(n)).opCode !== OpCode.Ping) n++ // the chat's welcome and join come first
    while ((await frame(n)).opCode !== OpCode.Close) n++ // pings, unanswered, then the close
    const close = parseCloseBody((await frame(n)).payload)
    t.same([close.code, Buffer.from(close.reason).toString()], [1001, 'ping timeout'], `${path}: closed as gone away`)
  }
})

t.test('examples/http2.ts on the command line: --help, bad flags and a half key pair are one line and exit code 2', async (t) => {
  const help = await runToEnd('http2', ['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /^examples\/http2\.ts: WebSockets over HTTP\/2 \(RFC 8441\) and HTTP\/1\.1 on one TLS port/)
  t.match(help.stdout, /\n {2}--port N +port on 127\.0\.0\.1 to listen on, 0 for any free one \(default 8443\)\n/)
  t.match(help.stdout, /\n {2}--cert FILE +the server's certificate \(chain\), PEM\n {2}--key FILE +its private key, PEM, unencrypted\n/)
  t.match(help.stdout, /\n {2}--ping-interval 0-3600000 +ms between pings/)
  t.match(help.stdout, /Without --cert and --key, a self-signed certificate/)
  const cases: [string[], RegExp][] = [
    [['--bogus'], /^examples\/http2\.ts: unknown flag --bogus: accepted are --port, --cert, --key, --ping-interval, --ping-timeout \(see --help\)\n$/],
    [['--port', 'x'], /^examples\/http2\.ts: invalid --port 'x': an integer from 0 to 65535 \(see --help\)\n$/],
    [['--cert', certificate.certPath], /^examples\/http2\.ts: --cert FILE and --key FILE go together: give both, or neither for a certificate made at start \(see --help\)\n$/],
    [['--cert', certificate.keyPath, '--key', certificate.keyPath], /: --cert '.*' and --key '.*' are not a certificate and its key: .* \(see --help\)\n$/],
  ]
  for (const [args, expected] of cases) {
    const { code, stdout, stderr } = await runToEnd('http2', args)
    t.equal(code, 2, `${args.join(' ')}: exit code 2`)
    t.match(stderr, expected, `${args.join(' ')}: one line`)
    t.equal(stdout, '')
  }
})
