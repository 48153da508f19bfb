import type { Extension } from '@ws-toolkit/ws-core'

/** extensionName is the extension's registered name (RFC 7692 §7). */
export const extensionName = 'permessage-deflate'

/**
 * DeflateParameters are the four parameters an offer or a response element may carry (RFC 7692
 * §7.1), as written: each at most once.
 */
export interface DeflateParameters {
  /** `server_no_context_takeover` (§7.1.1.1): the server resets its compressor every message. */
  serverNoContextTakeover: boolean
  /** `client_no_context_takeover` (§7.1.1.2): the client resets its compressor every message. */
  clientNoContextTakeover: boolean
  /** `server_max_window_bits` (§7.1.2.1): 8 to 15, or null when absent. */
  serverMaxWindowBits: number | null
  /**
   * `client_max_window_bits` (§7.1.2.2): 8 to 15; `true` when present with no value (allowed in
   * an offer only: "I can limit my window if you ask"); null when absent.
   */
  clientMaxWindowBits: number | true | null
}

/**
 * parseParameters reads the parameters of one permessage-deflate element, strictly: an unknown
 * or repeated parameter, a value on a no_context_takeover, a window size that is not a decimal
 * from 8 to 15 without leading zeros, or a server_max_window_bits with no value makes the
 * element invalid and the result null (§7.1: a server declines such an offer, a client fails
 * the connection on such a response). Names are compared without regard to case. Reads, never
 * keeps, `extension`.
 */
export function parseParameters(extension: Extension): DeflateParameters | null {
  if (extension.name.toLowerCase() !== extensionName) return null
  const parameters: DeflateParameters = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: null, clientMaxWindowBits: null }
  const seen = new Set<string>()
  for (const { name: raw, value } of extension.params) {
    const name = raw.toLowerCase()
    if (seen.has(name)) return null
    seen.add(name)
    if (name === 'server_no_context_takeover' || name === 'client_no_context_takeover') {
      if (value !== null) return null
      if (name === 'server_no_context_takeover') parameters.serverNoContextTakeover = true
      else parameters.clientNoContextTakeover = true
    } else if (name === 'server_max_window_bits') {
      const bits = windowBits(value)
      if (bits === null) return null
      parameters.serverMaxWindowBits = bits
    } else if (name === 'client_max_window_bits') {
      if (value === null) {
        parameters.clientMaxWindowBits = true
      } else {
        const bits = windowBits(value)
        if (bits === null) return null
        parameters.clientMaxWindowBits = bits
      }
    } else {
      return null
    }
  }
  return parameters
}

/** windowBits reads a window size: "8" to "15", no sign, no leading zero (§7.1.2.1). */
function windowBits(value: string | null): number | null {
  if (value === null || !/^(?:[89]|1[0-5])$/.test(value)) return null
  return Number(value)
}

/** formatParameters writes `parameters` as a permessage-deflate element, in the RFC's order. */
export function formatParameters(parameters: DeflateParameters): Extension {
  const params: Extension['params'] = []
  if (parameters.serverNoContextTakeover) params.push({ name: 'server_no_context_takeover', value: null })
  if (parameters.clientNoContextTakeover) params.push({ name: 'client_no_context_takeover', value: null })
  if (parameters.serverMaxWindowBits !== null) params.push({ name: 'server_max_window_bits', value: String(parameters.serverMaxWindowBits) })
  if (parameters.clientMaxWindowBits !== null) {
    params.push({ name: 'client_max_window_bits', value: parameters.clientMaxWindowBits === true ? null : String(parameters.clientMaxWindowBits) })
  }
  return { name: extensionName, params }
}
