import { base64Encode } from './base64.js'
import { sha1 } from './sha1.js'

/** WebSocketGuid is the GUID that RFC 6455 §1.3 appends to the key before hashing. */
export const WebSocketGuid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

const guidBytes = Uint8Array.from(WebSocketGuid, (c) => c.charCodeAt(0))
// Reused input for the usual 24-character key: key, then GUID.
const input = new Uint8Array(24 + guidBytes.length)
input.set(guidBytes, 24)

/**
 * acceptKey returns the Sec-WebSocket-Accept value for a Sec-WebSocket-Key (RFC 6455 §1.3,
 * §4.2.2): base64(SHA-1(key + GUID)). `key` is the header value as it appears on the wire,
 * ASCII, read from `key[start..end)` and not retained.
 */
export function acceptKey(key: Uint8Array | string, start = 0, end = key.length): string {
  const length = end - start
  const message = length === 24 ? input : new Uint8Array(length + guidBytes.length)
  if (typeof key === 'string') {
    for (let i = start; i < end; i++) message[i - start] = key.charCodeAt(i)
  } else {
    for (let i = start; i < end; i++) message[i - start] = key[i]
  }
  if (message !== input) message.set(guidBytes, length)
  return base64Encode(sha1(message))
}
