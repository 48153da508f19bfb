import type { Test } from 'tap'
import type { WebSocketError } from '../src/errors.js'

/** expectError asserts that `fn` throws an instance of `cls` with this `code` and `closeCode`. */
export function expectError(
  t: Test,
  fn: () => unknown,
  cls: abstract new (...args: never[]) => WebSocketError,
  code: string,
  closeCode: number,
  name = code,
): void {
  let thrown: unknown
  try {
    fn()
  } catch (error) {
    thrown = error
  }
  t.ok(thrown instanceof cls, `${name}: throws ${cls.name}`)
  const error = thrown as WebSocketError
  t.equal(error?.code, code, `${name}: code`)
  t.equal(error?.closeCode, closeCode, `${name}: close code`)
  t.equal(error?.name, cls.name, `${name}: name`)
}
