/** How many masks one call to crypto.getRandomValues draws. */
const batchSize = 1024

const pool = new Uint32Array(batchSize)
let next = batchSize

/**
 * newMask returns a fresh 32-bit masking key (RFC 6455 §5.3: "derived from a strong source of
 * entropy"). Keys come from `crypto.getRandomValues`, drawn 1024 at a time, never from
 * Math.random. It never returns 0: a zero key would leave the payload unmasked on the wire,
 * which §10.3 exists to prevent.
 */
export function newMask(): number {
  for (;;) {
    if (next === batchSize) {
      crypto.getRandomValues(pool)
      next = 0
    }
    const mask = pool[next++]
    if (mask !== 0) return mask
  }
}
