// Realistic JSON, the same on every run: a seeded PRNG fills records with ids, names, emails,
// nested objects, numbers and some non-ASCII text, the keys repeated record after record. Used
// by deflate-echo-large.test.ts. jsonExport is a long pretty-printed export (pages of records,
// as `jq .` prints them), jsonMessages cuts it into messages of 64 to 255 KiB, at any
// character: as a client uploading or tailing a large JSON file sends it. Messages that start
// inside indentation and follow one that ended in it are what fflate's compressor, restarted
// at the old position, matched back into (issue 12): see the test.

/** mulberry32 is a small seeded PRNG: the same seed gives the same numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const firstNames = ['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Radia', 'Edsger', 'Frances', 'Zoë', 'Søren', 'José', 'Łukasz', 'Ἀλέξανδρος', '李', 'Дмитрий', 'Aïcha']
const lastNames = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Perlman', 'Dijkstra', 'Allen', 'Kierkegaard', 'Müller', 'Nuñez', 'Ōtsuka', '王', 'Иванов']
const cities = ['Zürich', 'São Paulo', 'Kraków', 'Reykjavík', 'München', 'Ōsaka', 'Москва', 'Αθήνα', '東京', 'Montréal', 'Lisboa', 'Nairobi']
const streets = ['Hauptstraße', 'Rue de la Paix', 'Calle Mayor', 'Main Street', 'Nevsky Prospekt', 'Via Roma', 'Ringvägen']
const tags = ['alpha', 'beta', 'gamma', 'delta', 'urgent', 'archived', 'vip', 'trial', 'eu', 'us', 'apac', 'ünïcödé', '✓', '🚀']
const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'the', 'quick', 'brown', 'fox', 'jumps', 'über', 'naïve', 'café', 'smörgåsbord', 'καλημέρα', 'привет', '你好', 'こんにちは', '🙂', 'order', 'shipped', 'refund', 'invoice']
const statuses = ['active', 'pending', 'suspended', 'closed']

/** jsonPage is page `page` of the export seeded by `seed`: an object holding 20 to 59 records. */
export function jsonPage(seed: number, page: number): unknown {
  const random = mulberry32((seed ^ Math.imul(page + 1, 0x9e3779b1)) >>> 0)
  const int = (n: number) => Math.floor(random() * n)
  const pick = <T>(list: readonly T[]) => list[int(list.length)]
  const count = 20 + int(40)
  const items = Array.from({ length: count }, (_, k) => {
    const id = page * 100 + k
    return {
      id,
      uuid: Array.from({ length: 4 }, () => int(0x10000).toString(16).padStart(4, '0')).join('-'),
      name: `${pick(firstNames)} ${pick(lastNames)}`,
      email: `user${int(100_000)}@example.${pick(['com', 'org', 'net', 'de'])}`,
      status: pick(statuses),
      active: random() < 0.7,
      balance: Math.round(random() * 1e7) / 100,
      score: random(),
      created: new Date(Date.UTC(2020, 0, 1) + int(5 * 365 * 86_400_000)).toISOString(),
      tags: Array.from({ length: int(5) }, () => pick(tags)),
      address: {
        street: `${int(300) + 1} ${pick(streets)}`,
        city: pick(cities),
        zip: String(int(100_000)).padStart(5, '0'),
        geo: { lat: Math.round((random() * 180 - 90) * 1e6) / 1e6, lng: Math.round((random() * 360 - 180) * 1e6) / 1e6 },
      },
      orders: Array.from({ length: int(4) }, (_, n) => ({ order: id * 10 + n, items: int(20) + 1, total: Math.round(random() * 1e5) / 100, currency: pick(['EUR', 'USD', 'JPY', 'CHF']) })),
      note: random() < 0.5 ? null : Array.from({ length: int(12) + 3 }, () => pick(words)).join(' '),
    }
  })
  return { page, count, next: `/v1/accounts?page=${page + 1}`, items }
}

/** jsonExport yields the export's pages one after another, pretty-printed, a newline after each. */
export function* jsonExport(seed: number): Generator<Buffer> {
  for (let page = 0; ; page++) yield Buffer.from(`${JSON.stringify(jsonPage(seed, page), null, 2)}\n`)
}

/** messageSize is the size the `index`th message aims at: from 64 KiB to 255 KiB, spread by the seed. */
export function messageSize(seed: number, index: number): number {
  const random = mulberry32((seed + Math.imul(index + 1, 0x85ebca6b)) >>> 0)
  return 65536 + Math.floor(random() * (191 * 1024))
}

/**
 * jsonMessages cuts the export into messages of messageSize bytes, or up to 3 fewer: a cut
 * never splits a UTF-8 character, so that each message is text on its own.
 */
export function* jsonMessages(seed: number): Generator<Buffer> {
  const pages = jsonExport(seed)
  let pending: Buffer = Buffer.alloc(0)
  for (let index = 0; ; index++) {
    let size = messageSize(seed, index)
    const parts = [pending]
    let length = pending.length
    while (length < size) {
      const page = pages.next().value as Buffer
      parts.push(page)
      length += page.length
    }
    const all = parts.length === 1 ? pending : Buffer.concat(parts, length)
    while ((all[size] & 0xc0) === 0x80) size-- // a continuation byte: cut before its character
    pending = all.subarray(size)
    yield all.subarray(0, size)
  }
}
