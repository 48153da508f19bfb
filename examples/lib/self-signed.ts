// A certificate made at start, for an example run without --cert and --key (http2.ts): browsers
// speak HTTP/2 over TLS only, so a page served over h2 needs one even on 127.0.0.1. openssl
// (/usr/bin/openssl) makes an EC P-256 key and a self-signed certificate for 127.0.0.1, ::1
// and localhost, valid one day, in a temp dir of its own that is removed when the process
// exits (a signal's exit, a usage error, a crash; not a SIGKILL). What a client needs to trust
// it is returned: the certificate's file (a CA file for curl, the ws client's `ca`) and the
// SPKI hash of its key (Chromium's `--ignore-certificate-errors-spki-list`).
import { execFileSync } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A certificate made for this run, and what clients need to trust it. */
export interface SelfSigned {
  cert: Buffer
  key: Buffer
  /** certPath is the certificate's PEM file, there while the process runs. */
  certPath: string
  /** spki is the base64 SHA-256 of the certificate's DER SubjectPublicKeyInfo, as Chromium takes it. */
  spki: string
}

/**
 * spkiHash is the base64 SHA-256 of `cert`'s SubjectPublicKeyInfo (DER): what Chromium's
 * `--ignore-certificate-errors-spki-list` takes to trust a chain holding that key.
 */
export function spkiHash(cert: Buffer): string {
  const der = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' })
  return createHash('sha256').update(der).digest('base64')
}

/**
 * makeSelfSigned runs openssl to make a key and a self-signed certificate in a new temp dir,
 * removed at the process's exit. It throws (openssl's message) when openssl cannot be run.
 */
export function makeSelfSigned(): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'ws-examples-cert-'))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  const certPath = join(dir, 'cert.pem')
  const keyPath = join(dir, 'key.pem')
  execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    '-keyout', keyPath, '-out', certPath], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 })
  const cert = readFileSync(certPath)
  return { cert, key: readFileSync(keyPath), certPath, spki: spkiHash(cert) }
}
