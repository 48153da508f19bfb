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
