// The --cert and --key flags of the wss:// examples (tls-echo.ts, https-upgrade.ts): PEM files
// read once at start. A missing flag, a file that cannot be read, or a pair that TLS cannot use
// (not PEM, or a key that is not the certificate's) is one line on stderr and exit code 2, like
// every other usage error of the examples, before anything listens.
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { usageError } from './args.ts'

/** The two flags, for an example's parseCommand. */
export const keyPairFlags = {
  cert: { kind: 'file', help: 'the server\'s certificate (chain), PEM' },
  key: { kind: 'file', help: 'its private key, PEM, unencrypted' },
} as const

/** What --help says under the flags: how to make a pair to try the example with. */
export const keyPairNotes = [
  'A self-signed pair for 127.0.0.1 and localhost, valid one day:',
  '  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \\',
  '    -addext subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost -keyout key.pem -out cert.pem',
  'Clients must trust cert.pem (the ws client: { ca }; python: ssl.create_default_context(cafile=...)).',
]

/** readKeyPair reads `--cert` and `--key` and checks that TLS can use them; else a usage error (exit 2). */
export function readKeyPair(certPath: string | undefined, keyPath: string | undefined): { cert: Buffer; key: Buffer } {
  if (certPath === undefined || keyPath === undefined) usageError('--cert FILE and --key FILE are needed: a wss:// server has a certificate')
  const cert = readFlagFile('--cert', certPath)
  const key = readFlagFile('--key', keyPath)
  try {
    createSecureContext({ cert, key })
  } catch (error) {
    usageError(`--cert '${certPath}' and --key '${keyPath}' are not a certificate and its key: ${(error as Error).message}`)
  }
  return { cert, key }
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    return usageError(`cannot read ${flag} '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}
