import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'

/**
 * serverProcess forks `script --serve kind` (the benchmark file itself, in server mode), with
 * ws's JS masking forced when `kind` is 'ws', and waits for the child to send its port. The
 * caller kills the child when done.
 */
export async function serverProcess(script: string, kind: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(script, ['--serve', kind], {
    execArgv: process.execArgv, env: { ...process.env, ...(kind === 'ws' ? { WS_NO_BUFFER_UTIL: '1' } : {}) },
  })
  const [{ port }] = (await once(child, 'message')) as [{ port: number }]
  return { child, port }
}

/**
 * rotatingRounds runs `run(kind)` for every kind, `rounds` times, starting each round one kind
 * later so that none always runs first or last, and returns each kind's samples in `kinds`
 * order. Take the best of them: on a shared machine noise only ever adds time.
 */
export async function rotatingRounds<K, R>(kinds: readonly K[], rounds: number, run: (kind: K) => Promise<R>): Promise<R[][]> {
  const samples = kinds.map(() => [] as R[])
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < kinds.length; i++) {
      const index = (i + round) % kinds.length
      samples[index].push(await run(kinds[index]))
    }
  }
  return samples
}
