// Runs the portable checks on the runtime that runs this file (Bun, Deno) and prints the
// outcome as one line of JSON on stdout, for portable.test.ts to compare with Node.js's.
import { runChecks } from './checks.ts'

console.log(JSON.stringify(await runChecks()))
