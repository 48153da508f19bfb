/**
 * runFuzz runs the differential check ({@link checkTrial}) on random trials until a number of
 * messages or a time is reached, in rounds of fast-check runs seeded `seed`, `seed + 1`, ...:
 * a failure is shrunk by fast-check and thrown with the seed and path that replay it.
 */
import fc from 'fast-check'
import type { DeflateEngine } from '../../src/index.js'
import { checkTrial, trial } from './differential.js'

export interface FuzzOptions {
  engines: readonly DeflateEngine[]
  seed: number
  /** Stop once this many messages were checked (each in both directions). */
  messages?: number
  /** Stop after this many milliseconds. */
  milliseconds?: number
  /** Called after each round with the messages checked so far. */
  progress?: (messages: number, trials: number) => void
}

/** Trials per round: fast-check reports, and progress is told, between rounds. */
const round = 500

/** runFuzz returns how many messages and trials it checked. */
export function runFuzz(options: FuzzOptions): { messages: number; trials: number } {
  const { engines, seed, messages: target = Infinity, milliseconds = Infinity, progress } = options
  const until = Date.now() + milliseconds
  let messages = 0
  let trials = 0
  for (let k = 0; messages < target && Date.now() < until; k++) {
    fc.assert(fc.property(trial(engines), (drawn) => {
      messages += checkTrial(drawn)
      trials++
    }), { seed: seed + k, numRuns: round })
    progress?.(messages, trials)
  }
  return { messages, trials }
}
