import t from 'tap'
import { extensionName, formatParameters, parseParameters } from '../src/index.js'
import { elements } from './helpers.js'

t.test('valid elements, as written (RFC 7692 §7.1)', async (t) => {
  const cases: [string, object][] = [
    ['permessage-deflate', { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: null, clientMaxWindowBits: null }],
    ['permessage-deflate; client_max_window_bits', { clientMaxWindowBits: true }],
    ['permessage-deflate; client_max_window_bits=8; server_max_window_bits=15', { clientMaxWindowBits: 8, serverMaxWindowBits: 15 }],
    ['permessage-deflate; server_no_context_takeover; client_no_context_takeover', { serverNoContextTakeover: true, clientNoContextTakeover: true }],
    ['Permessage-Deflate; Server_Max_Window_Bits="10"', { serverMaxWindowBits: 10 }],
  ]
  for (const [header, expected] of cases) t.match(parseParameters(elements(header)[0]), expected, header)
  t.equal(extensionName, 'permessage-deflate')
})

t.test('invalid elements are null: unknown, repeated, bad values (§7.1)', async (t) => {
  for (const header of [
    'permessage-deflate; foo',
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    'permessage-deflate; client_max_window_bits; client_max_window_bits=10',
    'permessage-deflate; server_no_context_takeover=1',
    'permessage-deflate; client_no_context_takeover=true',
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_max_window_bits=08',
    'permessage-deflate; client_max_window_bits=+9',
    'permessage-deflate; client_max_window_bits=1e1',
    'x-webkit-deflate-frame',
  ]) t.equal(parseParameters(elements(header)[0]), null, header)
})

t.test('formatParameters writes what parseParameters reads, in the RFC\'s order', async (t) => {
  const parameters = { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: true as const }
  const element = formatParameters(parameters)
  t.same(element, { name: 'permessage-deflate', params: [
    { name: 'server_no_context_takeover', value: null }, { name: 'client_no_context_takeover', value: null },
    { name: 'server_max_window_bits', value: '9' }, { name: 'client_max_window_bits', value: null },
  ] })
  t.same(parseParameters(element), parameters)
  t.same(formatParameters({ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: null, clientMaxWindowBits: 12 }).params, [{ name: 'client_max_window_bits', value: '12' }])
})
