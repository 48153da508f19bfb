import { type Extension, parseExtensions } from '@ws-toolkit/ws-core'

/** The elements of a Sec-WebSocket-Extensions value, as ws-core parses them. */
export function elements(header: string): Extension[] {
  const out: Extension[] = []
  const bytes = Buffer.from(header, 'latin1')
  if (!parseExtensions(bytes, 0, bytes.length, out)) throw new Error(`bad header: ${header}`)
  return out
}
