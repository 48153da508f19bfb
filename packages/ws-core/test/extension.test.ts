import t from 'tap'
import { type Extension, formatExtension, parseExtensions } from '../src/extension.js'

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))
const parse = (value: string): Extension[] | null => {
  const out: Extension[] = []
  return parseExtensions(ascii(value), 0, value.length, out) ? out : null
}

t.test('RFC 6455 §9.1 grammar: what parses', async (t) => {
  t.same(parse('permessage-deflate'), [{ name: 'permessage-deflate', params: [] }])
  t.same(parse('permessage-deflate; client_max_window_bits; server_max_window_bits=10'), [{
    name: 'permessage-deflate',
    params: [{ name: 'client_max_window_bits', value: null }, { name: 'server_max_window_bits', value: '10' }],
  }])
  t.same(parse('a;x="10", b ; y = 7 ,c'), [
    { name: 'a', params: [{ name: 'x', value: '10' }] }, { name: 'b', params: [{ name: 'y', value: '7' }] }, { name: 'c', params: [] },
  ])
  t.same(parse('a; x="\\1\\0"'), [{ name: 'a', params: [{ name: 'x', value: '10' }] }], 'quoted-pair unescaped')
  t.same(parse(', a ,, b,'), [{ name: 'a', params: [] }, { name: 'b', params: [] }], 'empty list elements are skipped')
  t.same(parse('a; x; x'), [{ name: 'a', params: [{ name: 'x', value: null }, { name: 'x', value: null }] }], 'duplicates kept for the extension to judge')
})

t.test('RFC 6455 §9.1 grammar: what does not', async (t) => {
  for (const value of ['', ' ', ',', 'a;', 'a; =1', 'a; x=', 'a; x=""', 'a; x="1 0"', 'a; x="10', 'a; x="\\', 'a b', 'a; x=1 2', '"a"', 'a; x=@', 'a;x="a\\"']) {
    t.equal(parse(value), null, JSON.stringify(value))
  }
})

t.test('formatExtension writes what parseExtensions reads', async (t) => {
  const extension: Extension = { name: 'permessage-deflate', params: [{ name: 'server_no_context_takeover', value: null }, { name: 'client_max_window_bits', value: '9' }] }
  const text = formatExtension(extension)
  t.equal(text, 'permessage-deflate; server_no_context_takeover; client_max_window_bits=9')
  t.same(parse(text), [extension])
})
