// Every code block of every tested document, read once per test file.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Block, parseBlocks } from './blocks.js'
import { documents, root } from './documents.js'

/** allBlocks returns the blocks of every document {@link documents} finds, in document order. */
export function allBlocks(): Block[] {
  return documents().flatMap((document) => parseBlocks(document, readFileSync(join(root, document), 'utf8')))
}
