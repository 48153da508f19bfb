// Type-checking code blocks with the workspace's settings (tsconfig.base.json: strict,
// exactOptionalPropertyTypes, NodeNext, verbatimModuleSyntax), against the built packages
// (their dist/*.d.ts, as a user gets them) and @types/node. One program for all the blocks;
// each error is reported at its line in the Markdown document.
import { join } from 'node:path'
import ts from 'typescript'
import { type Block, where } from './blocks.js'
import { root } from './documents.js'
import { type SnippetFile, writeSnippet } from './snippet-files.js'

/** compilerOptions are tsconfig.base.json's, for checking only: no output, Node's types. */
export function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.base.json')
  const { config, error } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path))
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configPath)
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    composite: false,
    types: ['node'],
  }
}

/** TypeError is one compiler error in a block, located in its document. */
export interface BlockTypeError {
  /** block is the block the error is in. */
  block: Block
  /** message is `document:line: TSnnnn text`, the line being the document's (or "in its context"). */
  message: string
}

/**
 * typeCheck writes each block (fragments after their context) into `dir` and compiles them as
 * one program; it returns the errors, each located in its document. Errors in a context are
 * reported against the block that uses it.
 */
export function typeCheck(dir: string, blocks: readonly Block[]): BlockTypeError[] {
  const files: SnippetFile[] = blocks.map((block, i) => writeSnippet(dir, `block-${i}`, block))
  const program = ts.createProgram(files.map((f) => f.path), compilerOptions())
  const errors: BlockTypeError[] = []
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    const file = files.find((f) => f.path === diagnostic.file?.fileName)
    if (file === undefined) {
      // Outside the blocks (options, the packages' declarations): every block is suspect.
      errors.push({ block: blocks[0], message: `TS${diagnostic.code} ${diagnostic.file?.fileName ?? ''} ${text}` })
      continue
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
    const inBlock = line + 1 - file.firstLine
    const at = inBlock < 0 ? `${where(file.block)} (in context ${file.block.argument})` : `${file.block.document}:${file.block.line + 1 + inBlock}`
    errors.push({ block: file.block, message: `${at}: TS${diagnostic.code} ${text}` })
  }
  return errors
}
