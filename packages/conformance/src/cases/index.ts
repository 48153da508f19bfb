// Every case, in Autobahn|Testsuite's order of sections.
import type { Case } from '../case.js'
import { closeCases } from './close.js'
import { compressionKindCases, compressionParameterCases } from './compression.js'
import { fragmentationCases } from './fragmentation.js'
import { framingCases } from './framing.js'
import { autoFragmentationCases, limitsCases } from './limits.js'
import { pingCases } from './pings.js'
import { reservedBitsCases, reservedOpcodeCases } from './reserved.js'
import { utf8Cases } from './utf8.js'

/** SuiteOptions: `quick` shortens section 9 and sends fewer messages per compression case (for CI); no case is dropped. */
export interface SuiteOptions {
  quick?: boolean
}

/** allCases builds the suite, sections 1-7, 9, 10, 12 and 13. */
export function allCases(options: SuiteOptions = {}): Case[] {
  const quick = options.quick ?? false
  const messages = quick ? 8 : 32
  return [
    ...framingCases, ...pingCases, ...reservedBitsCases, ...reservedOpcodeCases, ...fragmentationCases, ...utf8Cases, ...closeCases,
    ...limitsCases(quick), ...autoFragmentationCases, ...compressionKindCases(messages), ...compressionParameterCases(messages),
  ]
}

/** sectionOf is a case's section: the number before the first dot. */
export function sectionOf(testCase: Case): number {
  return Number(testCase.id.split('.')[0])
}

/** selectCases keeps the cases whose id is one of `prefixes` or starts with one followed by a dot (`6`, `6.4`, `6.4.1`). */
export function selectCases(cases: Case[], prefixes: string[]): Case[] {
  if (prefixes.length === 0) return cases
  return cases.filter((testCase) => prefixes.some((prefix) => testCase.id === prefix || testCase.id.startsWith(`${prefix}.`)))
}
