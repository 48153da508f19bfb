/**
 * concat joins `chunks` into one new buffer that the caller owns; a single chunk is returned
 * as it is (not copied), none as an empty buffer.
 */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]
  let size = 0
  for (const chunk of chunks) size += chunk.length
  const out = new Uint8Array(size)
  size = 0
  for (const chunk of chunks) {
    out.set(chunk, size)
    size += chunk.length
  }
  return out
}
