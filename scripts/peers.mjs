#!/usr/bin/env node
// Makes sure the real peers the tests drive are installed, before anything is built: Debian's
// Chromium at /usr/bin/chromium (driven by playwright-core), Debian's python3-websockets,
// loaded by /usr/bin/python3 (not by a python3 elsewhere on PATH), Debian's nginx at
// /usr/sbin/nginx (the reverse proxy in front of our servers) and Debian's tinyproxy at
// /usr/bin/tinyproxy (the HTTP CONNECT proxy `dial` goes through), Debian's HAProxy at
// /usr/sbin/haproxy (a third-party server of WebSockets over HTTP/2, RFC 8441, for our client),
// openssl (the tests' certificates), and Debian's redis-server and nats-server (the brokers
// ws-fanout carries messages between nodes over). The tests start nginx, tinyproxy, HAProxy,
// Redis and NATS themselves, each with a configuration of its own on a loopback port of its
// own; the packages' own services are never used. Run first
// by `pnpm test`.
//
// Present: prints one line and exits 0. Missing, as root on Debian with apt-get: runs
// `apt-get update` once and `apt-get install -y` the missing packages (DEBIAN_FRONTEND=
// noninteractive), then checks again. Missing anywhere else: exits 1 at once, naming the
// command to run. A real-peer test is never skipped.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const chromiumPath = '/usr/bin/chromium'
const pythonPath = '/usr/bin/python3'
/** executables are the other peers: Debian package name -> the path the tests run. */
const executables = { nginx: '/usr/sbin/nginx', tinyproxy: '/usr/bin/tinyproxy', haproxy: '/usr/sbin/haproxy', openssl: '/usr/bin/openssl', 'redis-server': '/usr/bin/redis-server', 'nats-server': '/usr/sbin/nats-server' }

/** executable: true when `path` is an executable file. */
function executable(path) {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** pythonWebsockets: the version of websockets that /usr/bin/python3 imports, or null. */
function pythonWebsockets() {
  if (!existsSync(pythonPath)) return null
  const run = spawnSync(pythonPath, ['-c', 'import websockets; print(websockets.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  return run.status === 0 ? run.stdout.trim() : null
}

let websocketsVersion = null

/** missing: the Debian packages still to install (and websocketsVersion, when it is there). */
function missing() {
  const packages = []
  if (!executable(chromiumPath)) packages.push('chromium')
  for (const [name, path] of Object.entries(executables)) if (!executable(path)) packages.push(name)
  websocketsVersion = pythonWebsockets()
  if (websocketsVersion === null) packages.push('python3-websockets')
  return packages
}

/** isDebian: Debian itself (its chromium is a real package, not a snap wrapper as on Ubuntu). */
function isDebian() {
  try {
    return /^ID="?debian"?$/m.test(readFileSync('/etc/os-release', 'utf8'))
  } catch {
    return false
  }
}

function run(command, args) {
  console.log(`peers: ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  if (result.status !== 0) {
    console.error(`peers: \`${command} ${args.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`)
    process.exit(1)
  }
}

function fail(packages, why) {
  console.error(`peers: the tests need ${packages.join(' and ')}, which ${packages.length > 1 ? 'are' : 'is'} not installed, and ${why}.`)
  console.error(`peers: install ${packages.length > 1 ? 'them' : 'it'} with: sudo apt-get install -y ${packages.join(' ')}`)
  console.error('peers: (on a system other than Debian: the tests need Chromium at /usr/bin/chromium, the Python package websockets importable by /usr/bin/python3, nginx at /usr/sbin/nginx, tinyproxy at /usr/bin/tinyproxy, haproxy at /usr/sbin/haproxy, openssl at /usr/bin/openssl, redis-server at /usr/bin/redis-server and nats-server at /usr/sbin/nats-server)')
  process.exit(1)
}

let packages = missing()
if (packages.length > 0) {
  const root = process.getuid?.() === 0
  const apt = existsSync('/usr/bin/apt-get')
  if (!apt || !isDebian()) fail(packages, 'this script installs packages only on Debian with apt-get')
  if (!root) fail(packages, 'this script installs packages only as root')
  run('apt-get', ['update', '-qq'])
  run('apt-get', ['install', '-y', '-qq', ...packages])
  const still = missing()
  if (still.length > 0) fail(still, 'apt-get install did not fix that')
}
console.log(`peers: chromium at ${chromiumPath}, python3-websockets ${websocketsVersion} for ${pythonPath}, ${Object.values(executables).join(', ')}`)
