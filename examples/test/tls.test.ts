// Issue 15, TLS: wss:// servers on node:tls (examples/tls-echo.ts) and node:https
// (examples/https-upgrade.ts), with a certificate made for this run (./certificate.ts) and
// trusted by each client for this run only: the ws client by `ca`, python3-websockets by an ssl
// context with it as the only cafile, Chromium by the SPKI hash of its key. Each trust is shown
// to matter: without it the client refuses the certificate.
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { get } from 'node:https'
import { dirname, join } from 'node:path'
import { connect } from 'node:tls'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { compileFrame, maskFrameWith, newCloseFrame, newHeader, newTextFrame, OpCode, parseCloseBody, readHeader } from '@ws-toolkit/ws-core'
import { makeCertificate } from './certificate.js'
import { checkWsEcho, launchChromium } from './peers.js'
import { runExample, runToEnd } from './run-example.js'

const here = dirname(fileURLToPath(import.meta.url))
const certificate = await makeCertificate(t)
const keyPair = ['--cert', certificate.certPath, '--key', certificate.keyPath]

/** The two servers: where each serves its WebSocket, and the subprotocol it chooses. */
const servers = [
  { name: 'tls-echo', path: '/', protocols: [] as string[] },
  { name: 'https-upgrade', path: '/ws', protocols: ['echo'] },
]

/** Runs python-client.py (python3-websockets) against `url`, with `--cafile` when given; resolves with its exit and output. */
function python(url: string, cafile?: string): Promise<{ error: Error | null; stdout: string; stderr: string }> {
  const args = [join(here, 'python-client.py'), ...(cafile === undefined ? [] : ['--cafile', cafile]), url]
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', args, { timeout: 60_000 }, (error, stdout, stderr) => resolve({ error, stdout, stderr }))
  })
}

/**
 * chromiumEcho runs in the page: it opens `url`, sends a text message and a 16 MiB binary one,
 * compares the echoes byte for byte, and closes with 1000. It must be self-contained.
 */
async function chromiumEcho({ url, protocols }: { url: string; protocols: string[] }) {
  const ws = new WebSocket(url, protocols)
  ws.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('no connection')) })
  const big = new Uint8Array(16 * 1024 * 1024)
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >>> 12)) & 255
  const replies: (string | ArrayBuffer)[] = []
  const done = new Promise((resolve) => (ws.onmessage = (e) => { replies.push(e.data as string | ArrayBuffer); if (replies.length === 2) resolve(null) }))
  ws.send('from chromium, over TLS')
  ws.send(big)
  await done
  const back = new Uint8Array(replies[1] as ArrayBuffer)
  let same = back.length === big.length
  for (let i = 0; same && i < big.length; i++) same = back[i] === big[i]
  const closed = new Promise((resolve) => (ws.onclose = (e) => resolve([e.code, e.wasClean])))
  ws.close(1000)
  return { protocol: ws.protocol, text: replies[0], bigLength: back.length, same, closed: await closed }
}

/**
 * earlyData opens a raw TLS connection (trusting the test certificate), writes the handshake
 * request and a masked text frame in ONE write, and reads the 101 and the echo; then it sends a
 * close with 1000 and reads the server's close and the end of the stream.
 */
async function earlyData(t: Test, port: number, path: string) {
  const socket = connect({ host: '127.0.0.1', port, ca: certificate.cert })
  t.teardown(() => socket.destroy())
  await once(socket, 'secureConnect')
  const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  socket.write(Buffer.concat([Buffer.from(request, 'latin1'), compileFrame(maskFrameWith(newTextFrame('early bird over TLS'), 0x0badf00d))]))
  let received = Buffer.alloc(0)
  let status = ''
  let echo: string | null = null
  let close: number | null = null
  let offset = -1
  const header = newHeader()
  for await (const chunk of socket) {
    received = Buffer.concat([received, chunk])
    if (offset === -1) {
      const end = received.indexOf('\r\n\r\n')
      if (end === -1) continue
      status = received.subarray(0, received.indexOf('\r\n')).toString('latin1')
      offset = end + 4
    }
    // Every whole frame that has arrived: the echo, then (after ours) the server's close.
    for (let size; (size = readHeader(received, offset, header)) > 0 && received.length >= offset + size + header.length;) {
      const payload = received.subarray(offset + size, offset + size + header.length)
      offset += size + header.length
      if (header.opCode === OpCode.Text) {
        echo = payload.toString()
        socket.write(compileFrame(maskFrameWith(newCloseFrame(1000), 0x01020304)))
      } else if (header.opCode === OpCode.Close) {
        close = parseCloseBody(payload).code
      }
    }
  }
  // The loop ends at the stream's end: the server closed TCP (and TLS) after the close handshake.
  return { status, echo, close, rest: received.length - offset }
}

for (const { name, path, protocols } of servers) {
  t.test(`examples/${name}.ts`, async (t) => {
    const { port } = await runExample(t, name, keyPair)
    const url = `wss://127.0.0.1:${port}${path}`

    t.test('the ws client trusting the certificate (ca): text, binary, empty, fragmented and 16 MiB both ways, closed with 1000', async (t) =>
      checkWsEcho(t, url, protocols, { ca: certificate.cert }))

    t.test('without the ca the ws client refuses the certificate: the verification is real', async (t) => {
      const ws = new WebSocket(url, protocols)
      const closed = new Promise((resolve) => ws.on('close', resolve)) // events.once would reject on the 'error'
      const [error] = (await once(ws, 'error')) as [NodeJS.ErrnoException]
      t.match(error.code, /SELF_SIGNED|UNABLE_TO_VERIFY/, `${error.code}: ${error.message}`)
      await closed
      t.notOk(ws.protocol, 'never opened')
    })

    t.test('headless Chromium trusting the certificate\'s key (SPKI): text and 16 MiB binary, byte for byte; a clean 1000', async (t) => {
      const browser = await launchChromium(t, [`--ignore-certificate-errors-spki-list=${certificate.spki}`])
      const page = await browser.newPage()
      // https-upgrade.ts takes pages of its own origin only (sameOrigin): load one first.
      if (name === 'https-upgrade') t.match(await (await page.goto(`https://127.0.0.1:${port}/`))!.text(), 'WebSocket echo at /ws')
      const result = await page.evaluate(chromiumEcho, { url, protocols })
      t.same(result, { protocol: protocols[0] ?? '', text: 'from chromium, over TLS', bigLength: 16 * 1024 * 1024, same: true, closed: [1000, true] })
    })

    t.test('headless Chromium without that trust refuses the certificate', async (t) => {
      const browser = await launchChromium(t)
      const page = await browser.newPage()
      const console: string[] = []
      page.on('console', (message) => console.push(message.text()))
      const failed = await page.evaluate(chromiumEcho, { url, protocols }).then(() => false, () => true)
      t.ok(failed, 'no connection')
      // Chromium names the reason in the page's console.
      for (let i = 0; i < 50 && !console.some((line) => line.includes('ERR_CERT')); i++) await new Promise((resolve) => setTimeout(resolve, 100))
      t.match(console.join('\n'), /net::ERR_CERT_AUTHORITY_INVALID/)
    })

    t.test('python3-websockets with the certificate as its only cafile', async (t) => {
      const { error, stdout, stderr } = await python(url, certificate.certPath)
      t.equal(error, null, stderr)
      t.same(JSON.parse(stdout), { extensions: null, echoed: [true, true, true, true, true, true], close: 1000 })
      const untrusted = await python(url)
      t.ok(untrusted.error, 'without it, python exits with an error')
      t.match(untrusted.stderr, /CERTIFICATE_VERIFY_FAILED/)
    })

    t.test('early data over TLS: the request and a frame in one write, the frame is echoed; close 1000 both ways', async (t) => {
      const { status, echo, close, rest } = await earlyData(t, port, path)
      t.match(status, /^HTTP\/1\.1 101 /)
      t.equal(echo, 'early bird over TLS', 'the frame behind the request (head) is echoed')
      t.equal(close, 1000, 'the server answers our 1000 with 1000, then ends the stream')
      t.equal(rest, 0, 'nothing after the close frame')
    })

    if (name === 'https-upgrade') {
      t.test('HTTPS beside it: a plain GET, a page of another origin (403), another path (404)', async (t) => {
        const body = await new Promise<string>((resolve, reject) => {
          get(`https://127.0.0.1:${port}/`, { ca: certificate.cert }, (res) => {
            let text = ''
            res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(`${res.statusCode} ${text}`))
          }).on('error', reject)
        })
        t.equal(body, '200 WebSocket echo at /ws (wss://)\n')
        for (const [target, options, expected] of [
          [url, { origin: `http://127.0.0.1:${port}` }, 403], // http:// is not this server's origin
          [`wss://127.0.0.1:${port}/nope`, {}, 404],
        ] as const) {
          const ws = new WebSocket(target, { ca: certificate.cert, ...options })
          ws.on('error', () => {})
          const [, response] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }]
          t.equal(response.statusCode, expected, `${target} ${JSON.stringify(options)}`)
          ws.terminate()
        }
        const own = new WebSocket(url, protocols, { ca: certificate.cert, origin: `https://127.0.0.1:${port}` })
        await once(own, 'open')
        own.close(1000)
        t.equal((await once(own, 'close'))[0], 1000, 'its own https:// origin is let in')
      })
    }
  })

  t.test(`examples/${name}.ts stops on SIGTERM: 1001 to the open wss:// connection, exit 0`, async (t) => {
    const { port, output, stop } = await runExample(t, name, keyPair)
    const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, protocols, { ca: certificate.cert })
    await once(ws, 'open')
    const closed = once(ws, 'close')
    const exit = await stop('SIGTERM')
    t.equal((await closed)[0], 1001)
    t.same(exit, { code: 0, signal: null })
    t.match(output(), /stopped on SIGTERM: 1 connection closed cleanly with 1001 \(going away\), 0 cut/)
  })
}

t.test('--cert and --key: missing, unreadable or not a pair is one line and exit code 2', async (t) => {
  for (const name of servers.map((server) => server.name)) {
    const cases: [string[], RegExp][] = [
      [['--port', '0'], new RegExp(`^examples/${name}\\.ts: --cert FILE and --key FILE are needed: a wss:// server has a certificate \\(see --help\\)\\n$`)],
      [['--cert', join(here, 'no-such.pem'), '--key', certificate.keyPath], /: cannot read --cert '.*no-such\.pem': ENOENT \(see --help\)\n$/],
      [['--cert', certificate.keyPath, '--key', certificate.keyPath], /: --cert '.*' and --key '.*' are not a certificate and its key: .* \(see --help\)\n$/],
      [['--cert'], /: --cert needs a value: FILE \(see --help\)\n$/],
    ]
    for (const [args, expected] of cases) {
      const { code, stdout, stderr } = await runToEnd(name, args)
      t.equal(code, 2, `${name} ${args.join(' ')}: exit code 2`)
      t.match(stderr, expected, `${name} ${args.join(' ')}: one line`)
      t.equal(stdout, '')
    }
    const help = await runToEnd(name, ['--help'])
    t.equal(help.code, 0)
    t.match(help.stdout, /\n {2}--cert FILE +the server's certificate \(chain\), PEM\n {2}--key FILE +its private key, PEM, unencrypted\n/)
  }
})
