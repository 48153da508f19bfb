/**
 * UTF-8 validation for text messages and close reasons (RFC 6455 §8.1, RFC 3629 §4).
 *
 * Both validators follow the decoder of the WHATWG Encoding Standard: a byte is rejected as
 * soon as no continuation could make the sequence valid (C0, C1 and F5-FF at once; overlong
 * forms, surrogates and code points above U+10FFFF at their second byte), which is where
 * `new TextDecoder('utf-8', { fatal: true })` fails too.
 */

/**
 * isValidUtf8 reports whether `bytes[start..end)` is complete, valid UTF-8. It reads the
 * caller's bytes and copies nothing.
 */
export function isValidUtf8(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  // One shared validator: write() runs to completion, and end() leaves it reset.
  if (shared.write(bytes, start, end) !== -1) {
    shared.reset()
    return false
  }
  return shared.end()
}

/**
 * Utf8Validator checks a text message that arrives in pieces (RFC 6455 §8.1: fragments may
 * split a character) and fails at the first byte that can never become valid, not at the end
 * of the message. It keeps three small numbers of state and never holds on to the bytes.
 */
export class Utf8Validator {
  /** Continuation bytes still expected by the current character. */
  private needed = 0
  /** Bounds for the next continuation byte, narrowed after E0, ED, F0 and F4. */
  private lower = 0x80
  private upper = 0xbf

  /** new Utf8Validator() starts at a character boundary, as a message does. */
  constructor() {}

  /**
   * write validates `bytes[start..end)` as the next piece of the message. It returns -1 when
   * the piece is valid so far, or the index in `bytes` of the first invalid byte; after a
   * failure the validator must be {@link reset} before reuse.
   */
  write(bytes: Uint8Array, start = 0, end = bytes.length): number {
    let needed = this.needed
    let lower = this.lower
    let upper = this.upper
    for (let i = start; i < end; i++) {
      const byte = bytes[i]
      if (needed === 0) {
        if (byte < 0x80) {
          // ASCII runs, four bytes a test.
          while (i + 4 < end && (bytes[i + 1] | bytes[i + 2] | bytes[i + 3] | bytes[i + 4]) < 0x80) i += 4
          continue
        }
        if (byte >= 0xc2 && byte <= 0xdf) {
          needed = 1
        } else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) lower = 0xa0
          else if (byte === 0xed) upper = 0x9f
          needed = 2
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) lower = 0x90
          else if (byte === 0xf4) upper = 0x8f
          needed = 3
        } else {
          this.needed = 0
          return i
        }
      } else {
        if (byte < lower || byte > upper) {
          this.needed = 0
          this.lower = 0x80
          this.upper = 0xbf
          return i
        }
        lower = 0x80
        upper = 0xbf
        needed--
      }
    }
    this.needed = needed
    this.lower = lower
    this.upper = upper
    return -1
  }

  /**
   * end reports whether the message ended on a character boundary (a message that stops in the
   * middle of a character is invalid) and resets the validator for the next message.
   */
  end(): boolean {
    const complete = this.needed === 0
    this.reset()
    return complete
  }

  /** reset forgets any partial character, ready for a new message. */
  reset(): void {
    this.needed = 0
    this.lower = 0x80
    this.upper = 0xbf
  }
}

const shared = new Utf8Validator()
