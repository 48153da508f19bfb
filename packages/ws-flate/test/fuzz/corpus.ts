/**
 * Inputs for the differential fuzzer, as real traffic looks: JSON documents and their repeats
 * at odd periods, text in several scripts, binary records with runs, random bytes. A message
 * is a small recipe (what fast-check draws and shrinks) that expands to its bytes
 * deterministically; real files come from the workspace's own `typescript` package (the
 * version the lockfile holds).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import fc from 'fast-check'

const require = createRequire(import.meta.url)
const typescript = (path: string) => readFileSync(require.resolve(`typescript/${path}`))
const locales = ['cs', 'de', 'es', 'fr', 'it', 'ja', 'ko', 'pl', 'pt-br', 'ru', 'tr', 'zh-cn', 'zh-tw']

/**
 * files: real documents, of the locked version: typescript's package.json (3,620 bytes, the issue 12
 * reproduction's period), its diagnostic messages as JSON in 13 languages (Latin, Cyrillic, CJK,
 * Hangul), and a large TypeScript declaration file. Loaded on first use.
 */
let files: Buffer[] | null = null
export function corpusFiles(): Buffer[] {
  files ??= [typescript('package.json'), ...locales.map((locale) => typescript(`lib/${locale}/diagnosticMessages.generated.json`)), typescript('lib/lib.dom.d.ts')]
  return files
}

/** random: a small seeded generator (mulberry32), so that a recipe always expands to the same bytes. */
export function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = Math.imul(state ^ (state >>> 15), state | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** Words in scripts the diagnostic messages lack: Arabic, Hebrew, Devanagari, Greek, Thai, emoji, and ASCII. */
const words = [
  'السلام', 'عليكم', 'كتاب', 'مدينة', 'שלום', 'עולם', 'नमस्ते', 'दुनिया', 'बाज़ार', 'καλημέρα', 'κόσμε', 'สวัสดี', 'ตลาด',
  '😀', '🚀', '👍🏽', '🇯🇵', 'price', 'order', 'quantity', 'user', 'id', 'the', 'of', 'and', 'a',
]

/** fill repeats `unit` to `length` bytes: a period of unit.length, odd in general. */
function fill(unit: Uint8Array, length: number, offset = 0): Buffer {
  const out = Buffer.allocUnsafe(length)
  if (unit.length === 0) return out.fill(0)
  for (let at = 0; at < length; ) {
    const from = (offset + at) % unit.length
    const n = Math.min(unit.length - from, length - at)
    out.set(unit.subarray(from, from + n), at)
    at += n
  }
  return out
}

/** jsonDocument: records such as an API returns, with keys repeated and values in several scripts. */
function jsonDocument(next: () => number, size: number): Buffer {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]
  const records: unknown[] = []
  let length = 2
  while (length < size) {
    const record = {
      id: Math.floor(next() * 1e9),
      name: `${pick(words)} ${pick(words)}`,
      price: Math.round(next() * 1e6) / 100,
      tags: Array.from({ length: Math.floor(next() * 4) }, () => pick(words)),
      active: next() < 0.5,
      meta: next() < 0.3 ? { created: new Date(1.7e12 + Math.floor(next() * 1e10)).toISOString(), note: null } : undefined,
    }
    records.push(record)
    length += JSON.stringify(record).length + 1
  }
  return Buffer.from(JSON.stringify(records))
}

function text(next: () => number, length: number): Buffer {
  const parts: string[] = []
  let size = 0
  while (size < length) {
    const word = words[Math.floor(next() * words.length)] + (next() < 0.1 ? '.\n' : ' ')
    parts.push(word)
    size += Buffer.byteLength(word)
  }
  return Buffer.from(parts.join('')).subarray(0, length)
}

/** runs: binary as protocols and files hold it: runs of one byte (zeros most), short patterns, random stretches. */
function runs(next: () => number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  for (let at = 0; at < length; ) {
    const n = Math.min(length - at, 1 + Math.floor(next() ** 3 * 4096))
    const kind = next()
    if (kind < 0.4) out.fill(next() < 0.6 ? 0 : Math.floor(next() * 256), at, at + n)
    else if (kind < 0.7) for (let i = 0; i < n; i++) out[at + i] = Math.floor(next() * 256)
    else {
      const pattern = Array.from({ length: 1 + Math.floor(next() * 7) }, () => Math.floor(next() * 256))
      for (let i = 0; i < n; i++) out[at + i] = pattern[i % pattern.length]
    }
    at += n
  }
  return out
}

/** records: fixed-size little-endian records (a sequence number, a random-walk price, a flag, padding), as market data. */
function records(next: () => number, length: number): Buffer {
  const out = Buffer.alloc(Math.ceil(length / 24) * 24)
  let price = 100
  for (let at = 0, sequence = Math.floor(next() * 1e6); at < out.length; at += 24, sequence++) {
    price += (next() - 0.5) / 10
    out.writeUInt32LE(sequence, at)
    out.writeDoubleLE(price, at + 4)
    out.writeUInt16LE(next() < 0.9 ? 1 : Math.floor(next() * 65536), at + 12)
  }
  return out.subarray(0, length)
}

function randomBytes(next: () => number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) out[i] = (next() * 256) | 0
  return out
}

/** Recipe is one message: a kind, a seed, its length, and for repeats the period. */
export type Recipe =
  | { kind: 'file'; file: number; offset: number; length: number }
  | { kind: 'json'; seed: number; period: number; length: number }
  | { kind: 'text' | 'runs' | 'records' | 'random'; seed: number; length: number }

/** expand turns a recipe into its bytes, the same each time. */
export function expand(recipe: Recipe): Buffer {
  if (recipe.kind === 'file') {
    const file = corpusFiles()[recipe.file % corpusFiles().length]
    return fill(file, recipe.length, recipe.offset % file.length)
  }
  const next = random(recipe.seed)
  switch (recipe.kind) {
    case 'json': return fill(jsonDocument(next, Math.min(recipe.period, recipe.length)), recipe.length)
    case 'text': return text(next, recipe.length)
    case 'runs': return runs(next, recipe.length)
    case 'records': return records(next, recipe.length)
    case 'random': return randomBytes(next, recipe.length)
  }
}

/**
 * messageSize: 0 to 1 MiB, most messages small as in real traffic: 97 % up to 4 KiB, 2.9 % up
 * to 128 KiB, 0.1 % up to 1 MiB (so that 100,000 messages stay within a test run).
 */
export const messageSize = fc.oneof(
  { weight: 970, arbitrary: fc.integer({ min: 0, max: 4096 }) },
  { weight: 29, arbitrary: fc.integer({ min: 4097, max: 128 * 1024 }) },
  { weight: 1, arbitrary: fc.integer({ min: 128 * 1024 + 1, max: 1 << 20 }) },
)

const seed = fc.integer({ min: 0, max: 0x7fffffff })
/** recipe draws a message of any kind; shrinking makes it shorter and simpler. */
export const recipe: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('file' as const), file: fc.nat(100), offset: fc.nat(), length: messageSize }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('json' as const), seed, period: fc.integer({ min: 50, max: 70000 }), length: messageSize }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('text' as const, 'runs' as const, 'records' as const, 'random' as const), seed, length: messageSize }) },
)
