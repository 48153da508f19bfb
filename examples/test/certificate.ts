// A self-signed certificate for the wss:// tests (issue 15), made by openssl in a temp dir of
// its own for each test run and removed at teardown: an EC P-256 key and a one-day certificate
// for 127.0.0.1, ::1 and localhost, so that clients which verify it against this certificate as
// their only CA (the ws client's `ca`, python's cafile, Chromium's SPKI list) connect by IP.
import { execFile } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

/** A certificate and its key on disk (PEM), with what the clients need to trust it. */
export interface TestCertificate {
  /** The certificate's PEM file: the servers' `--cert`, and the CA file the clients trust. */
  certPath: string
  /** The private key's PEM file (unencrypted): the servers' `--key`. */
  keyPath: string
  /** The certificate, PEM. */
  cert: Buffer
  /**
   * spki is the base64 SHA-256 of the certificate's DER SubjectPublicKeyInfo, what Chromium's
   * `--ignore-certificate-errors-spki-list` takes: Chromium then trusts a chain holding this key.
   */
  spki: string
}

/**
 * makeCertificate makes a self-signed certificate with `openssl req -x509` in a new temp dir,
 * which `t`'s teardown removes.
 */
export async function makeCertificate(t: { teardown(fn: () => void): void }): Promise<TestCertificate> {
  const dir = mkdtempSync(join(tmpdir(), 'ws-examples-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const certPath = join(dir, 'cert.pem')
  const keyPath = join(dir, 'key.pem')
  await promisify(execFile)('/usr/bin/openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    '-keyout', keyPath, '-out', certPath])
  const cert = readFileSync(certPath)
  const der = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' })
  return { certPath, keyPath, cert, spki: createHash('sha256').update(der).digest('base64') }
}
