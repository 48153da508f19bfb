// How a script writes its frames to the socket: at once, a byte per write, or a byte per write
// with pauses, so that the peer meets every split of a frame across reads.
import type { FrameSpec } from '../frame-codec.js'
import type { Session } from '../session.js'

export type Delivery = 'whole' | 'bytes' | 'paused'

export const deliveryWords: Record<Delivery, string> = { whole: 'in one socket write', bytes: 'one byte per socket write', paused: 'one byte per socket write, 1 ms apart' }

export function deliver(s: Session, specs: FrameSpec[], delivery: Delivery): Promise<void> {
  if (delivery === 'whole') return s.send(...specs)
  return s.sendChopped(specs, 1, delivery === 'paused' ? 1 : 0)
}

/**
 * roundTrips sends each payload as a message (in fragments of `fragmentSize` when given) and
 * waits for its echo before sending the next; it stops early when the peer closes or is silent
 * for `timeoutMs`.
 */
export async function roundTrips(s: Session, opCode: number, payloads: Uint8Array[], fragmentSize: number, timeoutMs: number): Promise<void> {
  for (let n = 1; n <= payloads.length; n++) {
    await s.sendMessage(opCode, payloads[n - 1], fragmentSize)
    if (!(await s.until(() => s.over || s.messages >= n, timeoutMs)) || s.over) return
  }
}
