import { cpus, type, release, arch } from 'node:os'

/** Machine is what a benchmark ran on: enough to tell two runs' hardware and runtime apart. */
export interface Machine { cpu: string; cores: number; os: string; node: string }

/** machine describes this machine: CPU model and logical core count, OS, Node.js version (node:os and process). */
export function machine(): Machine {
  const all = cpus()
  return {
    cpu: all[0]?.model.trim().replace(/\s+/g, ' ') ?? 'unknown CPU',
    cores: all.length,
    os: `${type()} ${release()} ${arch()}`,
    node: process.version,
  }
}
