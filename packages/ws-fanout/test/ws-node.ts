// A chat node for the tests: a net.Server whose WebSocket clients join the room named by their
// path (/room/NAME) and whose text messages are published to that room through a Fanout. The
// same shape as examples/fanout/node.ts, small enough to start three in one test.
import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { OpCode, Upgrader } from '@ws-toolkit/ws-core'
import { agreementOf, deflateNegotiator, defaultEngine, PerMessageDeflate } from '@ws-toolkit/ws-flate'
import { acceptSocket, BatchWriter, readClientData } from '@ws-toolkit/ws-util'
import { Fanout, type FanoutOptions, type Subscriber } from '../src/index.js'

export interface WsNode {
  readonly fanout: Fanout
  readonly port: number
  readonly server: Server
  /** joined resolves once `count` subscribers of `room` on this node have had their subscription confirmed by the broker. */
  joined(room: string, count: number): Promise<void>
}

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

/** startNode starts a chat node on a loopback port with a Fanout over `options.transport`. */
export async function startNode(t: Teardown, options: FanoutOptions): Promise<WsNode> {
  const fanout = new Fanout(options)
  const upgrader = new Upgrader({ negotiate: deflateNegotiator({ minWindowBits: defaultEngine().minWindowBits }) })
  const waiters: (() => void)[] = []
  /** Per room, the subscribers whose subscribe() has resolved. */
  const confirmed = new Map<string, number>()
  const server = createServer((socket) => {
    acceptSocket(socket, upgrader, { keepRequest: true }).then(({ socket, head, extensions, request }) => {
      const room = (request!.path ?? '').replace(/^\/room\//, '')
      const agreement = extensions.length > 0 ? agreementOf(extensions[0]!) : null
      const deflate = agreement === null ? null : new PerMessageDeflate(agreement, 'server')
      const writer = new BatchWriter(socket, { side: 'server' })
      const reader = readClientData(socket, head, {
        onMessage(opCode, data) {
          if (opCode === OpCode.Text) void fanout.publish(room, Buffer.from(data), false)
        },
        onClose() {
          fanout.unsubscribeAll(subscriber)
          deflate?.close()
        },
      }, { writer, decompressor: deflate?.inflater })
      const subscriber: Subscriber = { target: writer, deflate: agreement, close: (code, reason) => reader.close(code, reason) }
      void fanout.subscribe(room, subscriber).then(() => {
        confirmed.set(room, (confirmed.get(room) ?? 0) + 1)
        for (const waiter of waiters.splice(0)) waiter()
      })
    }, () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => {
    await fanout.close()
    server.close()
  })
  const joined = async (room: string, count: number) => {
    while ((confirmed.get(room) ?? 0) < count) await new Promise<void>((resolve) => waiters.push(resolve))
  }
  return { fanout, port: (server.address() as { port: number }).port, server, joined }
}
