// The messages of the scale benchmark: small JSON-ish chat texts (about 100 to 200 bytes), a
// different one for every connection and sequence number, and the checksum that tells an
// echo from a corrupted or misrouted one.

const words = ['hello', 'there', 'status', 'ok', 'price', 'update', 'lobby', 'ping', 'ready', 'move', 'north', 'score', 'team', 'blue', 'red', 'again']

/** chatMessage is connection `id`'s message number `seq`: ASCII JSON, 100-200 bytes, the same every run. */
export function chatMessage(id: number, seq: number): Buffer {
  let seed = (Math.imul(id, 2654435761) ^ Math.imul(seq + 1, 40503)) >>> 0
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0)
  const count = 8 + ((next() >>> 16) % 16)
  const text: string[] = []
  for (let i = 0; i < count; i++) text.push(words[(next() >>> 16) % words.length])
  return Buffer.from(JSON.stringify({ type: 'chat', room: `room-${id % 100}`, from: `user-${id}`, seq, text: text.join(' ') }))
}

/** fnv1a continues a 32-bit FNV-1a hash (`hash`, start with {@link fnvStart}) over `bytes`. */
export function fnv1a(hash: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 16777619) >>> 0
  return hash
}

/** fnvStart is FNV-1a's offset basis: the hash of nothing. */
export const fnvStart = 2166136261
