// clientAddress and TrustedProxies (issue 15): the client's address as a chain of trusted
// proxies reports it (RFC 7239 §8.1), as a table of requests, then on a real accepted request
// from the ws client bound to another loopback address (a proxy's hop).
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import t from 'tap'
import WebSocket from 'ws'
import { Upgrader } from '@ws-toolkit/ws-core'
import { type Accepted, acceptSocket } from '../src/index.js'
import { clientAddress, TrustedProxies } from '../src/client-address.js'

/** request builds what clientAddress reads: the socket's peer and, unless undefined, X-Forwarded-For. */
function request(remoteAddress: string | null, forwardedFor?: string): { remoteAddress: string | null; headers: Record<string, string | undefined> } {
  const headers: Record<string, string | undefined> = Object.create(null)
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor
  return { remoteAddress, headers }
}

const loopbackProxy = new TrustedProxies(['127.0.0.2'])
const internal = new TrustedProxies(['10.0.0.0/8', '192.168.1.1', 'fd00::/8', '::1'])
const nobody = new TrustedProxies([])

// [what, trusted, socket peer, X-Forwarded-For (undefined: not sent or not kept), answer]
const cases: [string, TrustedProxies, string | null, string | undefined, string | null][] = [
  ['no proxy trusted: the peer, the header ignored', nobody, '127.0.0.1', '203.0.113.7', '127.0.0.1'],
  ['an untrusted peer: the peer, the header ignored', internal, '198.51.100.1', '203.0.113.7, 10.0.0.1', '198.51.100.1'],
  ['a trusted peer without the header (or not kept): the peer', loopbackProxy, '127.0.0.2', undefined, '127.0.0.2'],
  ['a trusted peer with an empty header: the peer', loopbackProxy, '127.0.0.2', '', '127.0.0.2'],
  ['one trusted hop: the entry it appended', loopbackProxy, '127.0.0.2', '127.0.0.1', '127.0.0.1'],
  ['nginx appends the client to what the client forged: the client, not the forgery', loopbackProxy, '127.0.0.2', '203.0.113.7, 127.0.0.1', '127.0.0.1'],
  ['trusted hops skipped from the right', internal, '10.0.0.1', '203.0.113.7, 198.51.100.9, 192.168.1.1, 10.2.3.4', '198.51.100.9'],
  ['all trusted: the leftmost', internal, '10.0.0.1', '10.9.9.9, 192.168.1.1', '10.9.9.9'],
  ['no socket address: null', internal, null, '203.0.113.7', null],
  ['spaces, tabs and empty elements ignored (RFC 9110 §5.6.1)', internal, '10.0.0.1', ' 203.0.113.7 ,, \t,10.0.0.2\t, ', '203.0.113.7'],
  ['IPv4 with a port: the address', internal, '10.0.0.1', '203.0.113.7:4711', '203.0.113.7'],
  ['IPv6 in brackets, with and without a port', internal, '10.0.0.1', '[2001:db8::1]:4711', '2001:db8::1'],
  ['IPv6 in brackets, no port', internal, '10.0.0.1', '[2001:db8::2]', '2001:db8::2'],
  ['IPv6 hops: trusted ULA skipped', internal, '::1', '2001:db8::7, fd00::1', '2001:db8::7'],
  ['a malformed entry ends the walk at the last good hop (nginx)', internal, '10.0.0.1', '203.0.113.7, unknown, 10.0.0.2', '10.0.0.2'],
  ['a malformed rightmost entry: the peer', internal, '10.0.0.1', '203.0.113.7, not-an-address', '10.0.0.1'],
  ['a port that is not one is malformed', internal, '10.0.0.1', '203.0.113.7:http', '10.0.0.1'],
  ['an unclosed bracket is malformed', internal, '10.0.0.1', '[2001:db8::1', '10.0.0.1'],
  ['brackets around IPv4 are malformed', internal, '10.0.0.1', '[203.0.113.7]', '10.0.0.1'],
  ['text after brackets is malformed', internal, '10.0.0.1', '[2001:db8::1]x', '10.0.0.1'],
  ['an IPv6 address with an unbracketed port-like tail is an address', internal, '10.0.0.1', '2001:db8::1:80', '2001:db8::1:80'],
  ['a mapped socket peer is its IPv4 address', loopbackProxy, '::ffff:127.0.0.2', '203.0.113.7', '203.0.113.7'],
  ['a mapped entry is checked as its IPv4 address and returned as written', internal, '10.0.0.1', '203.0.113.7, ::ffff:10.1.1.1', '203.0.113.7'],
  ['a mapped untrusted entry is returned as written', internal, '10.0.0.1', '::ffff:203.0.113.7', '::ffff:203.0.113.7'],
  ['an IPv6 zone on the peer is ignored for trust', new TrustedProxies(['fe80::/10']), 'fe80::1%eth0', '203.0.113.7', '203.0.113.7'],
  ['a trusted entry with a zone is skipped', new TrustedProxies(['fe80::/10', '10.0.0.1']), '10.0.0.1', '203.0.113.7, fe80::2%eth0', '203.0.113.7'],
]

t.test('clientAddress: a table of requests', async (t) => {
  for (const [what, trusted, peer, forwarded, answer] of cases) t.equal(clientAddress(request(peer, forwarded), trusted), answer, what)
})

t.test('TrustedProxies: ranges and addresses, IPv4-mapped IPv6 as IPv4, both ways', async (t) => {
  const trusted = new TrustedProxies(['127.0.0.1', '10.0.0.0/8', '::ffff:192.168.0.0/112', 'fd00::/8', '2001:db8::1/128', '172.16.5.9/16'])
  t.same(trusted.entries, ['127.0.0.1', '10.0.0.0/8', '::ffff:192.168.0.0/112', 'fd00::/8', '2001:db8::1/128', '172.16.5.9/16'])
  const yes = ['127.0.0.1', '::ffff:127.0.0.1', '::ffff:7f00:1', '10.255.0.1', '::ffff:10.0.0.9', '192.168.3.4', '::ffff:192.168.3.4', 'fd12::1', '2001:db8::1', '172.16.200.1']
  const no = ['127.0.0.2', '11.0.0.1', '192.169.0.1', 'fe80::1', '2001:db8::2', '172.17.0.1', '::1', 'localhost', '', ' 127.0.0.1', '127.0.0.1:80']
  for (const address of yes) t.ok(trusted.has(address), `${address} is trusted`)
  for (const address of no) t.notOk(trusted.has(address), `${JSON.stringify(address)} is not`)
  t.notOk(nobody.has('127.0.0.1'), 'an empty list trusts nobody')
})

t.test('TrustedProxies: an entry that is not an address or a range is a TypeError at construction', async (t) => {
  for (const entry of ['localhost', '', ' 127.0.0.1', '127.0.0.1 ', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/8x', '10.0.0.0/-1', '10.0.0.0/0x8',
    '10.0.0.0/1000', '1.2.3', 'fe80::1%eth0', 'fe80::/10%eth0', '127.0.0.1:80', '[::1]', '*']) {
    t.throws(() => new TrustedProxies(['127.0.0.1', entry]), { name: 'TypeError', message: JSON.stringify(entry) }, `${JSON.stringify(entry)} is refused`)
  }
  t.same(new TrustedProxies(['0.0.0.0/0', '::/0']).entries, ['0.0.0.0/0', '::/0'], 'prefix 0: everyone, if you mean it')
})

t.test('clientAddress: a request not kept at all is a TypeError', async (t) => {
  t.throws(() => clientAddress(null, loopbackProxy), { name: 'TypeError', message: /keepHeaders/ })
})

t.test('a real accepted request: the ws client bound to 127.0.0.2 plays the trusted proxy', async (t) => {
  const upgrader = new Upgrader()
  const options = { keepHeaders: ['x-forwarded-for'] }
  const waiting: ((accepted: Accepted<Socket>) => void)[] = []
  const server = createServer((socket) => {
    acceptSocket(socket, upgrader, options).then((accepted) => {
      t.teardown(() => accepted.socket.destroy())
      waiting.shift()!(accepted)
    }, () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const { port } = server.address() as { port: number }
  const connectFrom = async (localAddress: string, headers: Record<string, string | string[]>) => {
    const accepted = new Promise<Accepted<Socket>>((resolve) => waiting.push(resolve))
    // An array is sent as one header line each (node:http).
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { localAddress, headers: headers as Record<string, string> })
    t.teardown(() => ws.terminate())
    await once(ws, 'open')
    return (await accepted).request
  }
  const viaProxy = await connectFrom('127.0.0.2', { 'X-Forwarded-For': ['203.0.113.7, 198.51.100.2', '127.0.0.1'] })
  t.equal(viaProxy?.remoteAddress, '127.0.0.2')
  t.equal(clientAddress(viaProxy, new TrustedProxies(['127.0.0.2', '127.0.0.1'])), '198.51.100.2', 'repeated header lines read as one list, in order')
  t.equal(clientAddress(viaProxy, loopbackProxy), '127.0.0.1', 'the hop the trusted proxy appended')
  t.equal(clientAddress(viaProxy, nobody), '127.0.0.2', 'trusting nobody: the peer')
  const direct = await connectFrom('127.0.0.1', { 'X-Forwarded-For': '203.0.113.7' })
  t.equal(clientAddress(direct, loopbackProxy), '127.0.0.1', 'a forged header from an untrusted peer is not believed')
})
