// Command-line flags shared by the examples: each example declares its flags once, with a
// default and a line of help; `--help` prints the usage built from them and exits 0, and an
// unknown flag or a bad value prints one line naming the flag and what it accepts, and exits 2
// (the convention for a usage error), with no stack trace.
import { basename, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/** The examples folder, which the programs' names are relative to. */
const examplesFolder = fileURLToPath(new URL('..', import.meta.url))

/**
 * An integer flag (`--port N`), a flag taking one of a few words (`--engine fflate|zlib`), a
 * file's path (`--cert FILE`), any non-empty text shown in the usage as `value`
 * (`--redis URL`), or a switch.
 */
export type FlagSpec =
  | { kind: 'integer'; min: number; max: number; default?: number; help: string }
  | { kind: 'choice'; choices: readonly string[]; default?: string; help: string }
  | { kind: 'file'; default?: string; help: string }
  | { kind: 'text'; value: string; default?: string; help: string }
  | { kind: 'switch'; help: string }

type FlagValue<F extends FlagSpec> = F extends { kind: 'integer' } ? number : F extends { kind: 'choice' | 'file' | 'text' } ? string : boolean
type FlagValues<F extends Record<string, FlagSpec>> = {
  [K in keyof F]: F[K] extends { kind: 'switch' } | { default: number | string } ? FlagValue<F[K]> : FlagValue<F[K]> | undefined
}

export interface CommandSpec<F extends Record<string, FlagSpec>> {
  /** One line: what the program does. */
  summary: string
  flags: F
  /** The positional arguments as the usage line shows them (`[URL] [MESSAGE...]`); none when absent. */
  positionals?: string
  /** Lines printed after the flags: what the positionals mean, an example run. */
  notes?: string[]
}

/** portFlag is `--port N`: 0 to 65535 on 127.0.0.1, 0 picking a free port. */
export function portFlag(defaultPort: number): { kind: 'integer'; min: 0; max: 65535; default: number; help: string } {
  return { kind: 'integer', min: 0, max: 65535, default: defaultPort, help: 'port on 127.0.0.1 to listen on, 0 for any free one' }
}

/** The program's name as its usage shows it: `examples/echo.ts`, `examples/fanout/node.ts`. */
export function programName(): string {
  const script = process.argv[1] ?? 'example'
  const inExamples = relative(examplesFolder, resolve(script))
  return `examples/${inExamples.startsWith('..') ? basename(script) : inExamples.split('\\').join('/')}`
}

/** usageError prints `program: message (see --help)` on stderr and exits 2. */
export function usageError(message: string): never {
  process.stderr.write(`${programName()}: ${message} (see --help)\n`)
  process.exit(2)
}

function accepted(spec: FlagSpec): string {
  if (spec.kind === 'integer') return spec.min === 0 && spec.max === 65535 ? 'N' : `${spec.min}-${spec.max}`
  if (spec.kind === 'choice') return spec.choices.join('|')
  if (spec.kind === 'file') return 'FILE'
  if (spec.kind === 'text') return spec.value
  return ''
}

/** usage is the text `--help` prints. */
export function usage<F extends Record<string, FlagSpec>>(spec: CommandSpec<F>): string {
  const rows: [string, string][] = Object.entries(spec.flags).map(([name, flag]) => {
    const value = accepted(flag)
    const byDefault = flag.kind !== 'switch' && flag.default !== undefined ? ` (default ${flag.default})` : ''
    return [`--${name}${value === '' ? '' : ` ${value}`}`, `${flag.help}${byDefault}`]
  })
  rows.push(['--help, -h', 'print this and exit'])
  const width = Math.max(...rows.map(([left]) => left.length)) + 2
  const synopsis = Object.entries(spec.flags).map(([name, flag]) => `[--${name}${flag.kind === 'switch' ? '' : ` ${accepted(flag)}`}]`)
  return [
    `${programName()}: ${spec.summary}`,
    '',
    `usage: pnpm exec tsx ${programName()} ${[...synopsis, ...(spec.positionals ? [spec.positionals] : [])].join(' ')}`,
    '',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    ...(spec.notes && spec.notes.length > 0 ? ['', ...spec.notes] : []),
    '',
  ].join('\n')
}

/**
 * parseCommand reads `argv` (the process's arguments by default) against `spec`: `--help`
 * prints the usage and exits 0; anything it does not accept is a usage error (exit 2).
 * Values may follow their flag (`--port 9000`) or be joined to it (`--port=9000`).
 */
export function parseCommand<const F extends Record<string, FlagSpec>>(spec: CommandSpec<F>, argv = process.argv.slice(2)): { values: FlagValues<F>; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } }
  for (const [name, flag] of Object.entries(spec.flags)) options[name] = { type: flag.kind === 'switch' ? 'boolean' : 'string' }
  // Not strict: the tokens are checked here, so that each mistake gets a line of its own.
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true })
  const flagList = Object.keys(spec.flags).map((name) => `--${name}`).join(', ') || 'none but --help'
  const values: Record<string, number | string | boolean | undefined> = {}
  const positionals: string[] = []
  if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) {
    process.stdout.write(usage(spec))
    process.exit(0)
  }
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue
    if (token.kind === 'positional') {
      if (spec.positionals === undefined) usageError(`unexpected argument '${token.value}': this program takes flags only`)
      positionals.push(token.value)
      continue
    }
    const flag = (spec.flags as Record<string, FlagSpec>)[token.name]
    if (flag === undefined) usageError(`unknown flag ${token.rawName}: accepted are ${flagList}`)
    if (flag.kind === 'switch') {
      if (token.inlineValue) usageError(`${token.rawName} takes no value`)
      values[token.name] = true
      continue
    }
    const text = token.value
    if (text === undefined) usageError(`${token.rawName} needs a value: ${accepted(flag)}`)
    if (flag.kind === 'choice') {
      if (!flag.choices.includes(text)) usageError(`invalid ${token.rawName} '${text}': ${flag.choices.join(' or ')}`)
      values[token.name] = text
      continue
    }
    if (flag.kind === 'file') {
      // Only the path: the program reads it, and says so in one line when it cannot.
      if (text === '') usageError(`${token.rawName} needs a value: a file's path`)
      values[token.name] = text
      continue
    }
    if (flag.kind === 'text') {
      // The program judges the text itself (a URL it connects to), in one line when it cannot.
      if (text === '') usageError(`${token.rawName} needs a value: ${flag.value}`)
      values[token.name] = text
      continue
    }
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
    if (!(Number.isSafeInteger(n) && n >= flag.min && n <= flag.max)) usageError(`invalid ${token.rawName} '${text}': an integer from ${flag.min} to ${flag.max}`)
    values[token.name] = n
  }
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (values[name] === undefined) values[name] = flag.kind === 'switch' ? false : flag.default
  }
  return { values: values as FlagValues<F>, positionals }
}
