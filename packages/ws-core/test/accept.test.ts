import { createHash } from 'node:crypto'
import fc from 'fast-check'
import t from 'tap'
import { acceptKey, WebSocketGuid } from '../src/accept.js'
import { base64Encode, isBase64Of16Bytes } from '../src/base64.js'
import { sha1 } from '../src/sha1.js'

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))

t.test('RFC 6455 §1.3: the sample nonce', async (t) => {
  t.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
  const request = ascii('x: dGhlIHNhbXBsZSBub25jZQ==\r\n')
  t.equal(acceptKey(request, 3, 27), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'from a view into request bytes')
  t.equal(WebSocketGuid, '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
  // Keys of other lengths (only a 24-character key is valid, but the function is general).
  const expected = (key: string) => createHash('sha1').update(key + WebSocketGuid).digest('base64')
  t.equal(acceptKey('short'), expected('short'))
  t.equal(acceptKey(ascii('a longer key than usual, 40 bytes long!')), expected('a longer key than usual, 40 bytes long!'))
})

t.test('SHA-1 test vectors of RFC 3174 and FIPS 180', async (t) => {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
  t.equal(hex(sha1(ascii('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d')
  t.equal(hex(sha1(ascii(''))), 'da39a3ee5e6b4b0d3255bfef95601890afd80709')
  t.equal(hex(sha1(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))), '84983e441c3bd26ebaae4aa1f95129e5e54670f1')
})

t.test('property: sha1 and base64Encode agree with node:crypto and Buffer at every length', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ size: 'max', maxLength: 300 }), (bytes) =>
    Buffer.from(sha1(bytes)).equals(createHash('sha1').update(bytes).digest()) &&
    base64Encode(bytes) === Buffer.from(bytes).toString('base64')), { numRuns: 3000 })
  t.pass()
})

t.test('isBase64Of16Bytes accepts exactly the canonical base64 of 16 bytes', async (t) => {
  const yes = ['dGhlIHNhbXBsZSBub25jZQ==', 'AAAAAAAAAAAAAAAAAAAAAA==', '/////////////////////w==', 'x3JJHMbDL1EzLkh9GBhXDw==']
  const no = [
    'dGhlIHNhbXBsZSBub25jZQ=', 'dGhlIHNhbXBsZSBub25jZQ===', 'dGhlIHNhbXBsZSBub25jZR==' /* stray bits */,
    'dGhlIHNhbXBsZSBub25jZ===', 'dGhlIHNhbXBsZSBub25j!Q==', 'dGhlIHNhbXBsZSBub25jZQAA', 'dGhlIHNhbXBsZSBub25jZQ', '',
    'AAAAAAAAAAAAAAAAAAAAAAA=' /* 17 bytes */, 'dGhlIHNhbXBs ZSBub25jZQ=',
  ]
  for (const key of yes) t.ok(isBase64Of16Bytes(ascii(key), 0, key.length), key)
  for (const key of no) t.notOk(isBase64Of16Bytes(ascii(key), 0, key.length), JSON.stringify(key))
  fc.assert(fc.property(fc.uint8Array({ size: 'max', minLength: 16, maxLength: 16 }), (bytes) => {
    const text = ascii(Buffer.from(bytes).toString('base64'))
    return isBase64Of16Bytes(text, 0, text.length)
  }))
})
