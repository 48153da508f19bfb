// Deterministic sample data for the compression cases, one corpus a kind of message: JSON,
// a 1-bit bitmap, prose with non-ASCII letters, HTML, and random bytes (which do not compress,
// like the compressed streams of a PDF). Generated, so the same bytes every run.

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const size = 320 * 1024
const words = ['Habe', 'nun', 'ach', 'Philosophie', 'Juristerei', 'und', 'Medizin', 'leider', 'auch', 'Theologie', 'durchaus', 'studiert', 'mit', 'heißem', 'Bemühn',
  'da', 'steh', 'ich', 'armer', 'Tor', 'bin', 'so', 'klug', 'als', 'wie', 'zuvor', 'heiße', 'Magister', 'Doktor', 'gar', 'zieh', 'schon', 'an', 'die', 'zehen', 'Jahr',
  'herauf', 'herab', 'quer', 'krumm', 'meine', 'Schüler', 'der', 'Nase', 'herum', 'sehe', 'dass', 'wir', 'nichts', 'wissen', 'können', 'Öl', 'Übermut', 'Ärger']

function text(seed: number, piece: (next: () => number) => string): Uint8Array {
  const next = random(seed)
  const parts: string[] = []
  let length = 0
  while (length < size) {
    const part = piece(next)
    parts.push(part)
    length += Buffer.byteLength(part)
  }
  return Buffer.from(parts.join(''))
}

function json(): Uint8Array {
  let id = 0
  return text(1, (next) => `${JSON.stringify({ id: id++, name: `user-${Math.floor(next() * 10000)}`, email: `user${Math.floor(next() * 1000)}@example.com`, score: Math.round(next() * 1e4) / 100, active: next() > 0.5, tags: ['alpha', 'beta', 'gamma'].filter(() => next() > 0.4) })},\n`)
}

function prose(): Uint8Array {
  return text(2, (next) => `${words[Math.floor(next() * words.length)]}${next() < 0.1 ? '.\n' : next() < 0.2 ? ', ' : ' '}`)
}

function html(): Uint8Array {
  return text(3, (next) => `<div class="item-${Math.floor(next() * 50)}"><a href="/page/${Math.floor(next() * 1000)}">${words[Math.floor(next() * words.length)]}</a><span>${Math.floor(next() * 1e6)}</span></div>\n`)
}

function bitmap(): Uint8Array {
  const out = new Uint8Array(size)
  const next = random(4)
  const rows = size / 64
  const circles = Array.from({ length: 40 }, () => ({ x: next() * 512, y: next() * rows, r: 10 + next() * 80 }))
  for (let y = 0; y < rows; y++) {
    for (const c of circles) {
      const dy = y - c.y
      if (dy * dy >= c.r * c.r) continue
      const dx = Math.sqrt(c.r * c.r - dy * dy)
      for (let x = Math.max(0, Math.ceil(c.x - dx)); x < Math.min(512, c.x + dx); x++) out[y * 64 + (x >> 3)] |= 0x80 >> (x & 7)
    }
  }
  return out
}

function noise(): Uint8Array {
  const next = random(5)
  return Uint8Array.from({ length: size }, () => Math.floor(next() * 256))
}

/** Corpus is a kind of message and the bytes to cut messages from. */
export interface Corpus {
  name: string
  opCode: number
  bytes: Uint8Array
}

let built: Corpus[] | null = null

/** corpora builds the five corpora once (about 1.6 MB). */
export function corpora(): Corpus[] {
  built ??= [
    { name: 'JSON', opCode: 1, bytes: json() },
    { name: 'a 1-bit bitmap', opCode: 2, bytes: bitmap() },
    { name: 'German prose', opCode: 1, bytes: prose() },
    { name: 'HTML', opCode: 1, bytes: html() },
    { name: 'random bytes', opCode: 2, bytes: noise() },
  ]
  return built
}

/**
 * messagesOf cuts `count` messages of about `length` bytes from `corpus`, each from a different
 * place; text messages are moved to code point boundaries so they stay valid UTF-8.
 */
export function messagesOf(corpus: Corpus, length: number, count: number): Uint8Array[] {
  const { bytes } = corpus
  return Array.from({ length: count }, (_, i) => {
    let start = (i * 7919 * (length + 13)) % (bytes.length - length)
    let end = start + length
    if (corpus.opCode === 1) {
      while ((bytes[start] & 0xc0) === 0x80) start++
      while (end < bytes.length && (bytes[end] & 0xc0) === 0x80) end++
    }
    return bytes.subarray(start, end)
  })
}
