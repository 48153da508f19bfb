// pnpm fuzz [--seconds N] [--seed S] [--engine fflate,zlib,one-shot]: the differential fuzzer
// of test/differential.test.ts for as long as asked (60 s by default; 0 runs until stopped).
// It prints the seed first, progress as it goes, and on a failure fast-check's shrunk
// counterexample with the seed and path that replay it; it exits 1 then.
import { parseArgs } from 'node:util'
import { fuzzedEngines } from './engines.js'
import { runFuzz } from './run.js'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' }, engine: { type: 'string' } } })
const seconds = Number(values.seconds)
if (!(seconds >= 0)) throw new RangeError(`invalid --seconds ${values.seconds}`)
const seed = values.seed === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(values.seed)
if (!Number.isInteger(seed)) throw new RangeError(`invalid --seed ${values.seed}`)
const names = values.engine?.split(',')
const engines = names === undefined ? fuzzedEngines : fuzzedEngines.filter((engine) => names.some((name) => engine.name.startsWith(name)))
if (engines.length === 0) throw new RangeError(`no engine named ${values.engine}: ${fuzzedEngines.map((engine) => engine.name).join(', ')}`)

console.log(`fuzzing ${engines.map((engine) => engine.name).join(', ')} against node:zlib, seed ${seed}, ${seconds === 0 ? 'until stopped' : `${seconds} s`}`)
const started = Date.now()
const { messages, trials } = runFuzz({
  engines,
  seed,
  milliseconds: seconds === 0 ? Infinity : seconds * 1000,
  progress: (messages, trials) => console.log(`${((Date.now() - started) / 1000).toFixed(0)} s: ${messages} messages in ${trials} connections`),
})
console.log(`ok: ${messages} messages in ${trials} connections, each back byte for byte both ways`)
