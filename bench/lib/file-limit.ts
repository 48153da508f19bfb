// Child processes that may hold more sockets than `ulimit -n` allows this one: a process needs
// one file descriptor per connection. They are started through `sh -c 'ulimit -n N && exec
// node ...'` when the limit can be raised that far (a hard limit above N, or a root that may
// raise it), as plain node children when N fits the limit they inherit, and refused otherwise.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'

/** FileLimit is how many file descriptors a child gets, and whether sh must raise its limit to that (`raise`) or it inherits enough. */
export interface FileLimit { descriptors: number; raise: boolean }

/** currentFileLimit is this process's soft `ulimit -n` (what children inherit), read through sh. */
export function currentFileLimit(): number {
  const out = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim()
  return out === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(out)
}

/**
 * fileLimitFor decides how a child that holds `sockets` connections gets its descriptors
 * (`sockets` plus 256 for the rest): inherited when the current limit is enough, raised when
 * sh may raise it, or an Error that says the limit and how to lift it.
 */
export function fileLimitFor(sockets: number): FileLimit {
  const descriptors = sockets + 256
  const current = currentFileLimit()
  if (descriptors <= current) return { descriptors: current, raise: false }
  if (spawnSync('sh', ['-c', `ulimit -n ${descriptors}`]).status === 0) return { descriptors, raise: true }
  throw new Error(`${sockets} connections need ${descriptors} file descriptors in one process; ulimit -n is ${current} here and cannot be raised `
    + '(raise the hard limit, e.g. as root with CAP_SYS_RESOURCE: ulimit -Hn 200000, or in /etc/security/limits.conf)')
}

/**
 * forkWithFileLimit starts `node [execArgv] script args` with an IPC channel (as fork does) and
 * `limit`'s descriptors: through sh's `ulimit -n` when it must be raised, `exec` so that the
 * child is node itself. Output goes to this process's stdout and stderr.
 */
export function forkWithFileLimit(script: string, args: string[], limit: FileLimit, execArgv: string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const node = [...execArgv, script, ...args]
  const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc']
  return limit.raise
    ? spawn('sh', ['-c', `ulimit -n ${limit.descriptors} && exec "$0" "$@"`, process.execPath, ...node], { stdio, env })
    : spawn(process.execPath, node, { stdio, env })
}
