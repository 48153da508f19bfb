import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { getHeapStatistics, GCProfiler } from 'node:v8'

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

/**
 * serveExample runs `examples/NAME` in this (child) process, as it ships, with `--port 0` and
 * `args`, and resolves with the port it prints ("listening on 127.0.0.1:N"). The example's
 * console output is dropped from then on: it is not the benchmark's. Its heartbeat is off
 * (`--ping-interval 0`): the `ws` servers it is measured against ping nothing either, and a
 * timer per connection would be counted against us alone.
 */
export async function serveExample(name: string, args: string[]): Promise<number> {
  const listening = new Promise<number>((resolve) => {
    console.log = (line: string) => {
      const match = /^listening on 127\.0\.0\.1:(\d+)/.exec(String(line))
      if (match) resolve(Number(match[1]))
    }
  })
  process.argv = [process.argv[0], name, '--port', '0', '--ping-interval', '0', ...args]
  await import(fileURLToPath(new URL(`../../examples/${name}`, import.meta.url)))
  return listening
}

/**
 * reportUsage sends the parent this server's `port`, then answers its 'start' and 'stop'
 * messages with the CPU time (process.cpuUsage) and the bytes allocated on the JS heap
 * (v8.GCProfiler: heap growth plus what each collection freed) between them.
 */
export function reportUsage(port: number): void {
  let profiler: GCProfiler | null = null
  let cpu = process.cpuUsage()
  let used = 0
  process.on('message', (message) => {
    if (message === 'start') {
      profiler = new GCProfiler()
      profiler.start()
      used = getHeapStatistics().used_heap_size
      cpu = process.cpuUsage()
      return
    }
    const cpuNow = process.cpuUsage(cpu)
    const { statistics } = profiler!.stop()
    let allocated = getHeapStatistics().used_heap_size - used
    for (const gc of statistics) allocated += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
    process.send!({ cpuMicros: cpuNow.user + cpuNow.system, allocated })
  })
  process.send!({ port })
}

/** measureServer runs `work` (which returns seconds) while the server `child` measures itself (see reportUsage). */
export async function measureServer(child: ChildProcess, work: () => Promise<number>): Promise<{ seconds: number; cpuMicros: number; allocated: number }> {
  child.send('start')
  const seconds = await work()
  child.send('stop')
  const [{ cpuMicros, allocated }] = (await once(child, 'message')) as [{ cpuMicros: number; allocated: number }]
  return { seconds, cpuMicros, allocated }
}
