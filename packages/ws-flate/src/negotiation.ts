import { type Extension, HandshakeError } from '@ws-toolkit/ws-core'
import { type DeflateParameters, extensionName, formatParameters, parseParameters } from './parameters.js'

/**
 * DeflateAgreement is what both ends use once permessage-deflate is negotiated (RFC 7692 §7.1):
 * whether each side resets its compressor after every message, and the largest LZ77 window,
 * in bits, each side may compress with (15, a 32 KiB window, when the response says nothing).
 */
export interface DeflateAgreement {
  /** serverNoContextTakeover: the server resets its compressor after every message (RFC 7692 §7.1.1.1). */
  serverNoContextTakeover: boolean
  /** clientNoContextTakeover: the client resets its compressor after every message (RFC 7692 §7.1.1.2). */
  clientNoContextTakeover: boolean
  /** serverMaxWindowBits is the largest window, 8 to 15 bits, the server compresses with (RFC 7692 §7.1.2.1). */
  serverMaxWindowBits: number
  /** clientMaxWindowBits is the largest window, 8 to 15 bits, the client compresses with (RFC 7692 §7.1.2.2). */
  clientMaxWindowBits: number
}

/** DeflateNegotiationOptions are one side's wishes; every field is optional. */
export interface DeflateNegotiationOptions {
  /** Ask that the server reset its compressor every message (less memory, less compression). */
  serverNoContextTakeover?: boolean | undefined
  /** Ask that the client reset its compressor every message. */
  clientNoContextTakeover?: boolean | undefined
  /** The largest window, 8 to 15 bits, the server should compress with. Default 15. */
  serverMaxWindowBits?: number | undefined
  /** The largest window, 8 to 15 bits, the client should compress with. Default 15. */
  clientMaxWindowBits?: number | undefined
  /**
   * The smallest window this side's compressor can be held to: pass the engine's
   * `minWindowBits`, 15 for fflate (which cannot limit its window), 9 for node:zlib (which makes
   * 8 into 9). Default 15, which every engine honours. Offers and answers that would need a
   * smaller one are declined or refused.
   */
  minWindowBits?: number | undefined
}

/** Wishes are the options checked, each with its value or its default. */
type Wishes = { [K in keyof DeflateNegotiationOptions]-?: Exclude<DeflateNegotiationOptions[K], undefined> }

function checkOptions(options: DeflateNegotiationOptions): Wishes {
  const { serverNoContextTakeover = false, clientNoContextTakeover = false, serverMaxWindowBits = 15, clientMaxWindowBits = 15, minWindowBits = 15 } = options
  for (const [name, bits] of [['serverMaxWindowBits', serverMaxWindowBits], ['clientMaxWindowBits', clientMaxWindowBits], ['minWindowBits', minWindowBits]] as const) {
    if (!Number.isInteger(bits) || bits < 8 || bits > 15) throw new RangeError(`${name} must be an integer from 8 to 15, not ${bits}`)
  }
  return { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits, minWindowBits }
}

/** serverWishes checks a server's options once: its own window must be one its compressor can keep to. */
function serverWishes(options: DeflateNegotiationOptions): Wishes {
  const wishes = checkOptions(options)
  if (wishes.serverMaxWindowBits < wishes.minWindowBits) throw new RangeError('serverMaxWindowBits is below what the compressor can do (minWindowBits)')
  return wishes
}

/**
 * acceptOffer is a server's answer to one permessage-deflate offer (RFC 7692 §5.1, §7.1): the
 * response element and the agreement it makes, or null to decline the offer (the client may
 * have listed another). Declined: an invalid offer; one asking the server for a window smaller
 * than its compressor allows; one from a client that cannot limit its window when
 * `clientMaxWindowBits` asks for a limit (§7.1.2.2 forbids asking it). Context takeover is
 * given up whenever either side asks; a window is the smaller of what was offered and what
 * the options want. The server names its own window in the response whenever it is under 15
 * bits, which §7.1.2.1 allows even unasked, so the response alone states the agreement.
 */
export function acceptOffer(offer: Extension, options: DeflateNegotiationOptions = {}): {
  /** response is the element to send in the response's Sec-WebSocket-Extensions, a new object (RFC 7692 §5.1). */
  response: Extension
  /** agreement is what both ends use from now on (RFC 7692 §7.1). */
  agreement: DeflateAgreement
} | null {
  return answer(offer, serverWishes(options))
}

function answer(offer: Extension, wishes: Wishes): { response: Extension; agreement: DeflateAgreement } | null {
  const offered = parseParameters(offer)
  if (offered === null) return null
  let serverBits = wishes.serverMaxWindowBits
  if (offered.serverMaxWindowBits !== null) {
    if (offered.serverMaxWindowBits < wishes.minWindowBits) return null
    serverBits = Math.min(serverBits, offered.serverMaxWindowBits)
  }
  let clientBits = 15
  if (offered.clientMaxWindowBits === null) {
    if (wishes.clientMaxWindowBits < 15) return null
  } else {
    clientBits = Math.min(wishes.clientMaxWindowBits, offered.clientMaxWindowBits === true ? 15 : offered.clientMaxWindowBits)
  }
  const agreement: DeflateAgreement = {
    serverNoContextTakeover: offered.serverNoContextTakeover || wishes.serverNoContextTakeover,
    clientNoContextTakeover: offered.clientNoContextTakeover || wishes.clientNoContextTakeover,
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
  }
  const response: DeflateParameters = {
    serverNoContextTakeover: agreement.serverNoContextTakeover,
    clientNoContextTakeover: agreement.clientNoContextTakeover,
    serverMaxWindowBits: offered.serverMaxWindowBits !== null || serverBits < 15 ? serverBits : null,
    clientMaxWindowBits: clientBits < 15 || typeof offered.clientMaxWindowBits === 'number' ? clientBits : null,
  }
  return { response: formatParameters(response), agreement }
}

/**
 * deflateNegotiator is ws-core's `UpgraderOptions.negotiate` for permessage-deflate: it answers
 * the first acceptable offer (the Upgrader stops offering an extension once one is accepted)
 * and declines other extensions. Read the agreement from the accepted response element with
 * {@link agreementOf}.
 */
export function deflateNegotiator(options: DeflateNegotiationOptions = {}): (offer: Extension) => Extension | null {
  const wishes = serverWishes(options)
  return (offer) => (offer.name.toLowerCase() === extensionName ? answer(offer, wishes)?.response ?? null : null)
}

/**
 * agreementOf reads the agreement from a valid response element (one {@link acceptOffer} made,
 * or one {@link acceptResponse} checked); null when `response` is not a valid
 * permessage-deflate element.
 */
export function agreementOf(response: Extension): DeflateAgreement | null {
  const parameters = parseParameters(response)
  if (parameters === null || parameters.clientMaxWindowBits === true) return null
  return {
    serverNoContextTakeover: parameters.serverNoContextTakeover,
    clientNoContextTakeover: parameters.clientNoContextTakeover,
    serverMaxWindowBits: parameters.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: parameters.clientMaxWindowBits ?? 15,
  }
}

/**
 * deflateOffer is a client's offer (RFC 7692 §5.1, §7.1) from `options`. It offers
 * `client_max_window_bits` (letting the server limit the client's window) only when the
 * client's compressor can be limited (`minWindowBits` under 15), with a value when
 * `clientMaxWindowBits` asks for one.
 */
export function deflateOffer(options: DeflateNegotiationOptions = {}): Extension {
  const wishes = checkOptions(options)
  if (wishes.clientMaxWindowBits < wishes.minWindowBits) throw new RangeError('clientMaxWindowBits is below what the compressor can do (minWindowBits)')
  return formatParameters({
    serverNoContextTakeover: wishes.serverNoContextTakeover,
    clientNoContextTakeover: wishes.clientNoContextTakeover,
    serverMaxWindowBits: wishes.serverMaxWindowBits < 15 ? wishes.serverMaxWindowBits : null,
    clientMaxWindowBits: wishes.clientMaxWindowBits < 15 ? wishes.clientMaxWindowBits : wishes.minWindowBits < 15 ? true : null,
  })
}

/**
 * acceptResponse checks a server's response element against the client's `offer` (RFC 7692
 * §5.1, §7.1) and returns the agreement; a response the client cannot accept fails the
 * connection with a {@link HandshakeError}: invalid parameters; a server window larger than
 * offered, or missing when one was asked; a client window when none was offered, without a
 * value, larger than offered, or smaller than the client's compressor allows; no
 * server_no_context_takeover when it was asked.
 */
export function acceptResponse(offer: Extension, response: Extension, options: DeflateNegotiationOptions = {}): DeflateAgreement {
  const wishes = checkOptions(options)
  const offered = parseParameters(offer)
  if (offered === null) throw new TypeError('the offer is not a valid permessage-deflate element')
  const answered = parseParameters(response)
  const fail = (why: string): never => {
    throw new HandshakeError(`permessage-deflate response refused: ${why}`, 101)
  }
  if (answered === null) return fail('invalid parameters')
  if (offered.serverNoContextTakeover && !answered.serverNoContextTakeover) fail('server_no_context_takeover was asked and not granted')
  if (offered.serverMaxWindowBits !== null) {
    if (answered.serverMaxWindowBits === null) fail('server_max_window_bits was asked and not answered')
    if (answered.serverMaxWindowBits! > offered.serverMaxWindowBits) fail('server_max_window_bits larger than offered')
  }
  if (answered.clientMaxWindowBits !== null) {
    if (offered.clientMaxWindowBits === null) fail('client_max_window_bits was not offered')
    if (answered.clientMaxWindowBits === true) fail('client_max_window_bits without a value')
    const bits = answered.clientMaxWindowBits as number
    if (typeof offered.clientMaxWindowBits === 'number' && bits > offered.clientMaxWindowBits) fail('client_max_window_bits larger than offered')
    if (bits < wishes.minWindowBits) fail(`client_max_window_bits=${bits} is below what the compressor can do`)
  }
  return agreementOf(response)!
}
