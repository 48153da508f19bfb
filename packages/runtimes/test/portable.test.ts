// ws-core's and ws-flate's portable code on Bun and Deno: the checks of portable/checks.ts
// (RFC 6455 and RFC 7692 examples split at every byte, realistic messages through the fflate
// engine) must give, on each runtime, exactly what they give on Node.js; and the zlib engine must
// either work there, output for output what that runtime's zlib gives, or refuse with why.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { type Outcome, runChecks } from './portable/checks.ts'
import { runtimes } from './runtimes.ts'

const main = fileURLToPath(new URL('portable/main.ts', import.meta.url))
const node = await runChecks()

t.test('on Node.js the checks give the RFCs\' bytes', async (t) => {
  const same = node.same
  t.equal(same['acceptKey §1.3'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'RFC 6455 §1.3')
  t.equal(same['compileFrame(maskFrameWith(Hello, 0x37fa213d))'], '818537fa213d7f9f4d5158', 'RFC 6455 §5.7')
  t.equal(same['cipher §5.7 masked "Hello"'], 'Hello')
  t.equal(same['readHeader §5.7 masked, first 5 bytes'], 'wait')
  t.equal(same['writeHeader length 65536'], '10/10: 827f0000000000010000', 'RFC 6455 §5.2, 64-bit length')
  t.match(same['cipher 1 MiB from offset 1 equals §5.3 byte by byte'], / true$/)
  t.equal(same['checkHeader fragmented ping'], 'ProtocolError WS_CONTROL_FRAGMENTED 1002', 'RFC 6455 §5.5')
  t.equal(same['isValidUtf8 surrogate'], false)
  t.equal(same['Upgrader §1.3 request cut short'], 'incomplete')
  t.match(same['Upgrader §1.3 request'], /^230 chat HTTP\/1\.1 101 Switching Protocols\r\n.*Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/s)
  t.equal(same['Upgrader plain GET'], '400 HTTP/1.1 400 Bad Request')
  t.equal(same['parseServerResponse'], 'chat true')
  t.equal(same['compressFrame(Hello) §7.2.3.1'], 'f248cdc9c90700', 'RFC 7692 §7.2.3.1')
  t.equal(same['fflate §7.2.3.2 takeover'], 'Hello Hello', 'RFC 7692 §7.2.3.2')
  t.equal(same['fflate §7.2.3.3 stored'], 'Hello', 'RFC 7692 §7.2.3.3')
  t.equal(same['fflate §7.2.3.4 across BFINAL'], 'Hello Hello', 'RFC 7692 §7.2.3.4')
  for (const [name, value] of Object.entries(same)) if (name.startsWith('fflate 40 JSON')) t.match(value, /, back true$/, name)
  t.equal(node.own['defaultEngine'], 'zlib')
  t.equal(node.own['zlib engine output is the runtime zlib deflateRawSync, byte for byte'], true)
})

for (const runtime of runtimes()) {
  t.test(`${runtime.name} ${runtime.version} gives what Node.js gives`, async (t) => {
    const [program, ...before] = runtime.command
    const { stdout } = await promisify(execFile)(program!, [...before, main], { cwd: fileURLToPath(new URL('..', import.meta.url)), maxBuffer: 1 << 24 })
    const outcome = JSON.parse(stdout) as Outcome
    t.same(Object.keys(outcome.same), Object.keys(node.same), 'the same checks ran')
    for (const [name, value] of Object.entries(node.same)) t.equal(outcome.same[name], value, name)
    t.comment(`${runtime.name}: ${outcome.own['zlib engine']}`)
    if (runtime.name === 'bun') {
      t.equal(outcome.own['defaultEngine'], 'zlib', 'the default engine is zlib')
      t.match(outcome.own['zlib engine'], /^works; /)
      t.equal(outcome.own['zlib engine output is the runtime zlib deflateRawSync, byte for byte'], true, "the zlib engine writes exactly what Bun's own zlib writes")
      t.equal(outcome.own['zlib engine 40 JSON messages back'], true)
      t.equal(outcome.own['zlib engine §7.2.3.4 across BFINAL'], 'Hello Hello')
    } else {
      // Deno 2.9's raw inflater ignores its dictionary: if this moves, update default-engine.ts,
      // zlib-engine.ts and the READMEs, which say so.
      t.equal(outcome.own['defaultEngine'], 'fflate', 'the default engine is fflate')
      t.match(outcome.own['zlib engine'], /^refused: this runtime's raw inflater does not restart from the window after a BFINAL block \(RFC 7692 §7\.2\.3\.4\)/, 'the zlib engine refuses, saying why')
    }
  })
}
