// The differential fuzzer (test/fuzz/): every engine, context takeover on and off, levels 1, 6
// and 9, every window the engine accepts, messages of 0 to 1 MiB from realistic corpora, in
// sequences on one connection, both directions against node:zlib. 100,000 messages a run,
// seeded: FUZZ_SEED=n replays another seed; `pnpm fuzz` runs for as long as asked.
import t from 'tap'
import { fuzzedEngines } from './fuzz/engines.js'
import { runFuzz } from './fuzz/run.js'

const seed = Number(process.env.FUZZ_SEED ?? 12)
if (!Number.isInteger(seed)) throw new RangeError(`FUZZ_SEED must be an integer: ${process.env.FUZZ_SEED}`)
const target = 100_000

t.test(`differential fuzzing against node:zlib, seed ${seed}`, async (t) => {
  const { messages, trials } = runFuzz({ engines: fuzzedEngines, seed, messages: target })
  t.ok(messages >= target, `${messages} messages in ${trials} connections, every one back byte for byte both ways`)
})
