// Command-line arguments shared by the examples: `--port N` (0 picks a free port) and
// positional values.
import { parseArgs } from 'node:util'

export function exampleArgs(defaultPort: number): { port: number; positionals: string[] } {
  const { values, positionals } = parseArgs({ options: { port: { type: 'string' } }, allowPositionals: true })
  const port = values.port === undefined ? defaultPort : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`invalid --port ${values.port}`)
  return { port, positionals }
}
