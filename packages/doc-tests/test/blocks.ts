// The fenced code blocks of a Markdown document and the doc-test marker in front of each (see
// ../README.md for the convention). Parsing never throws: a block without a valid marker is
// returned with a `problem`, which the marker test reports, so no block goes unchecked.

/** Marker kinds: run as a program and check it, type-check with a context, or check shell commands. */
export type BlockKind = 'run' | 'fragment' | 'shell'

/** Block is one fenced code block and how it is to be tested. */
export interface Block {
  /** document is the path of the Markdown file, relative to the workspace root. */
  document: string
  /** line is the 1-based line of the opening fence in the document. */
  line: number
  /** language is the fence's info string's first word (`ts`, `sh`), or '' for none. */
  language: string
  /** code is the block's text, without the fences, ending in a newline. */
  code: string
  /** kind is what the marker asks for, or null when the block has no valid marker. */
  kind: BlockKind | null
  /** argument is the marker's argument: the check of a `run` block, the context of a `fragment`; '' for `shell`. */
  argument: string
  /** problem says what is wrong with the block's marker, or null when it is valid. */
  problem: string | null
}

/** languages lists the fence languages each kind accepts. */
export const languages: Record<BlockKind, readonly string[]> = {
  run: ['ts', 'typescript'],
  fragment: ['ts', 'typescript'],
  shell: ['sh', 'shell', 'bash'],
}

const markerPattern = /^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$/
// Any indentation: a fence inside a list item is indented too, and must not be missed.
const fencePattern = /^\s*(`{3,}|~{3,})\s*([^\s`]*)/

/**
 * parseMarker reads the text inside `<!-- doc-test: ... -->`: `run <check>`, `fragment
 * <context>` or `shell`. It returns the kind and argument, or a problem.
 */
export function parseMarker(text: string): { kind: BlockKind; argument: string } | { problem: string } {
  const [kind = '', argument = '', ...rest] = text.split(/\s+/)
  if (rest.length > 0) return { problem: `marker "${text}" has more than one argument` }
  if (kind === 'shell') return argument === '' ? { kind, argument } : { problem: 'a shell marker takes no argument' }
  if (kind === 'run' || kind === 'fragment') {
    if (!/^[a-z0-9-]+$/.test(argument)) return { problem: `a ${kind} marker names its ${kind === 'run' ? 'check' : 'context'} (lower-case, digits, dashes), got "${argument}"` }
    return { kind, argument }
  }
  return { problem: `unknown marker kind "${kind}" (run, fragment or shell)` }
}

/**
 * parseBlocks returns every fenced code block of `text` (the contents of `document`), each with
 * the marker on the nearest non-blank line before its opening fence. A marker that is not
 * followed by a block is returned as a block with an empty language and a problem.
 */
export function parseBlocks(document: string, text: string): Block[] {
  const lines = text.split('\n')
  const blocks: Block[] = []
  let marker: { text: string; line: number } | null = null
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const markerMatch = markerPattern.exec(line)
    if (markerMatch) {
      if (marker !== null) blocks.push(orphan(document, marker.line))
      marker = { text: markerMatch[1], line: i + 1 }
      continue
    }
    const fence = fencePattern.exec(line)
    if (fence === null) {
      if (line.trim() !== '' && marker !== null) {
        blocks.push(orphan(document, marker.line))
        marker = null
      }
      continue
    }
    const [, opening, language] = fence
    const body: string[] = []
    let j = i + 1
    // A fence closes with the same character, at least as long, and nothing but spaces after it.
    for (; j < lines.length; j++) {
      const trimmed = lines[j].trim()
      if (trimmed.startsWith(opening) && trimmed.replaceAll(opening[0], '') === '') break
      body.push(lines[j])
    }
    const block: Block = { document, line: i + 1, language: language.toLowerCase(), code: body.join('\n') + '\n', kind: null, argument: '', problem: null }
    if (marker === null) {
      block.problem = 'no <!-- doc-test: ... --> marker on the line before the fence (run <check>, fragment <context> or shell)'
    } else {
      const parsed = parseMarker(marker.text)
      if ('problem' in parsed) block.problem = parsed.problem
      else if (!languages[parsed.kind].includes(block.language)) block.problem = `a ${parsed.kind} block is fenced as ${languages[parsed.kind].join(' or ')}, not "${block.language}"`
      else Object.assign(block, parsed)
    }
    blocks.push(block)
    marker = null
    i = j
  }
  if (marker !== null) blocks.push(orphan(document, marker.line))
  return blocks
}

function orphan(document: string, line: number): Block {
  return { document, line, language: '', code: '', kind: null, argument: '', problem: 'a doc-test marker not followed by a fenced code block' }
}

/** where names a block for messages: `README.md:42`. */
export function where(block: Block): string {
  return `${block.document}:${block.line}`
}
