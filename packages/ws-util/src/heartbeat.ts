/** HeartbeatOptions configures {@link startHeartbeat}. */
export interface HeartbeatOptions {
  /** Time between pings. */
  intervalMs: number
  /** How long to wait for a pong after a ping before giving up. */
  timeoutMs: number
  /** Sends a ping (RFC 6455 §5.5.2), e.g. `() => writer.writeControl(OpCode.Ping, empty)`. */
  ping(): void
  /** Called once when a pong is overdue; the heartbeat has stopped. Close or destroy the connection here. */
  onTimeout(): void
}

/** Heartbeat is a running heartbeat: tell it about pongs, stop it when the connection ends. */
export interface Heartbeat {
  /** pong records that a pong arrived (§5.5.3: any pong counts, answered or unsolicited). */
  pong(): void
  /** stop clears the heartbeat's timers; nothing runs after it. */
  stop(): void
}

/**
 * startHeartbeat pings every `intervalMs` and calls `onTimeout` when a ping has gone
 * `timeoutMs` without a pong. Nothing in the toolkit starts one for you: it runs only from
 * this call until `stop()` or the timeout. Its timers are unref'd, so a heartbeat alone never
 * keeps the process alive. Route pongs to it from your control handler.
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const { intervalMs, timeoutMs } = options
  if (!(intervalMs > 0) || !(timeoutMs > 0)) throw new RangeError('intervalMs and timeoutMs must be positive')
  let deadline: NodeJS.Timeout | null = null
  const stop = () => {
    clearInterval(interval)
    if (deadline !== null) clearTimeout(deadline)
    deadline = null
  }
  const interval = setInterval(() => {
    options.ping()
    // One deadline at a time, from the oldest unanswered ping.
    deadline ??= setTimeout(() => {
      stop()
      options.onTimeout()
    }, timeoutMs).unref()
  }, intervalMs).unref()
  return {
    pong() {
      if (deadline !== null) clearTimeout(deadline)
      deadline = null
    },
    stop,
  }
}
