// WebSocket upgrades on chosen paths of a node:http server that a web framework (Express,
// Fastify) serves: the framework answers every ordinary request, and the server's 'upgrade'
// event, which Node emits instead of 'request' for any request asking to upgrade while a
// listener is registered, is ours. Each path in `routes` is served by its handler after the
// handshake (ws-util's acceptHttpUpgrade); any other path is refused with 404, a target no
// WebSocket request sends with 400, a page from another origin with 403, and an upgrade that
// arrives once the server has stopped listening with 503: each answered and its socket ended,
// never left hanging. One port for both, as a browser and a proxy expect.
import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { HandshakeRejection, requestPath, sameOrigin, Upgrader } from '@ws-toolkit/ws-core'
import { type Accepted, acceptHttpUpgrade, type Closable, type ConnectionSet } from '@ws-toolkit/ws-util'

/** UpgradeRoute serves one path's upgraded connections: it starts reading and returns the connection, to be kept for closing. */
export type UpgradeRoute = (accepted: Accepted<Duplex>) => Closable

/**
 * serveUpgrades handles `server`'s 'upgrade' event: a request for a path in `routes` (compared
 * with ws-core's requestPath, so the absolute-form target `http://host/ws` is the same path)
 * is upgraded and handed to its route, its connection kept in `connections`; every other
 * request is answered with its HTTP error.
 */
export function serveUpgrades(server: Server, routes: ReadonlyMap<string, UpgradeRoute>, connections: ConnectionSet): void {
  const upgrader = new Upgrader({
    onRequest: (uri) => {
      // server.close() (shutdown) stops listening at once: a request that was already on its
      // way, or that comes on a kept-alive HTTP connection, gets no new WebSocket.
      if (!server.listening) throw new HandshakeRejection(503, 'server stopping')
      const path = requestPath(uri)
      if (path === null) throw new HandshakeRejection(400, 'invalid request-target')
      if (!routes.has(path)) throw new HandshakeRejection(404, 'no WebSocket here')
    },
    // Browsers may connect only from pages this server serves; other clients send no Origin.
    checkOrigin: sameOrigin(false),
  })
  const keep = { keepRequest: true }
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    let accepted
    try {
      accepted = acceptHttpUpgrade(req, socket, head, upgrader, keep)
    } catch (error) {
      // A refusal is answered already; anything else destroyed the socket. The server goes on.
      if (!(error instanceof HandshakeRejection)) console.error(`upgrade failed: ${(error as Error).message}`)
      return
    }
    // onRequest let only the routes' paths through.
    const route = routes.get(accepted.request!.path!)!
    connections.add(route(accepted))
  })
}
