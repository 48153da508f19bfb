/**
 * withoutStack makes an error without capturing a stack trace (`Error.stackTraceLimit` is 0
 * during `make`, then put back): for the errors a connection ends with in the normal course of
 * things (the peer's close, a socket gone), whose stack would only show the event loop, and
 * whose capture costs a sixth of a short connection's whole server CPU (bench/handshake.ts's
 * lifecycle profile, issue 14). Internal to ws-util.
 */
export function withoutStack<T extends Error>(make: () => T): T {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return make()
  } finally {
    Error.stackTraceLimit = limit
  }
}
