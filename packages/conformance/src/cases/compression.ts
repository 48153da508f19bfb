// Sections 12 and 13, permessage-deflate (RFC 7692). The fuzzer compresses what it sends with
// node:zlib and inflates what the peer sends within the agreed window and context (see
// DeflateContext): a peer that reaches back past its window, or into a previous message when
// it agreed not to, fails the case. 12: kinds of message (JSON, bitmap, prose, HTML, random
// bytes) and sizes, default parameters. 13: JSON under each parameter set: no context
// takeover either way, each window from 9 to 15 bits either way, both together.
import type { DeflateNegotiationOptions } from '@ws-toolkit/ws-flate'
import { type Case, echoes, message } from '../case.js'
import { corpora, messagesOf } from './corpora.js'
import { roundTrips } from './delivery.js'

const sizes = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072]
const fragmentedSizes = [4096, 16384, 65536, 131072]
const fragmentSize = 1024
const timeoutMs = 60_000

function compressionCase(id: string, what: string, parameters: string, options: DeflateNegotiationOptions, opCode: number, payloads: Uint8Array[], fragments: number): Case {
  return {
    id,
    description: `With permessage-deflate (${parameters}), send ${payloads.length} compressed messages of ${what}${fragments > 0 ? `, in fragments of ${fragments} bytes` : ''}, each after the echo of the one before.`,
    expectation: 'The peer agrees to the parameters and echoes every message intact; what it compresses inflates within its agreed window and context.',
    rfc: 'RFC 7692 §6, §7.1, §7.2',
    compression: { options },
    timeoutMs,
    run: (s) => roundTrips(s, opCode, payloads, fragments, timeoutMs),
    ok: echoes(...payloads.map((payload) => message(opCode, payload))),
  }
}

/** Section 12: each kind of message at each size, whole and fragmented, default parameters. */
export function compressionKindCases(count: number): Case[] {
  return corpora().flatMap((corpus, k) => [
    ...sizes.map((size, i) => compressionCase(`12.${k + 1}.${i + 1}`, `${corpus.name}, ${size} bytes`, 'default parameters', {}, corpus.opCode, messagesOf(corpus, size, count), 0)),
    ...fragmentedSizes.map((size, i) => compressionCase(`12.${k + 1}.${sizes.length + i + 1}`, `${corpus.name}, ${size} bytes`, 'default parameters', {}, corpus.opCode, messagesOf(corpus, size, count), fragmentSize)),
  ])
}

const windows = [9, 10, 11, 12, 13, 14, 15]

/** The parameter sets of section 13, named as the offer (or, when the fuzzer is the server, the answer) puts them. */
export const parameterSets: [string, DeflateNegotiationOptions][] = [
  ['default parameters', {}],
  ['server_no_context_takeover', { serverNoContextTakeover: true }],
  ['client_no_context_takeover', { clientNoContextTakeover: true }],
  ...windows.map((bits): [string, DeflateNegotiationOptions] => [`server_max_window_bits=${bits}`, { serverMaxWindowBits: bits }]),
  ...windows.map((bits): [string, DeflateNegotiationOptions] => [`client_max_window_bits=${bits}`, { clientMaxWindowBits: bits }]),
  ['no context takeover both ways, both windows 9 bits', { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 }],
  ['context takeover, both windows 9 bits', { serverMaxWindowBits: 9, clientMaxWindowBits: 9 }],
]

/** Section 13: JSON at each size under each parameter set. */
export function compressionParameterCases(count: number): Case[] {
  const [json] = corpora()
  return parameterSets.flatMap(([name, options], p) =>
    sizes.map((size, i) => compressionCase(`13.${p + 1}.${i + 1}`, `JSON, ${size} bytes`, name, options, json.opCode, messagesOf(json, size, count), 0)))
}
