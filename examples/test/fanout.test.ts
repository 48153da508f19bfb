// Issue 17: examples/fanout/run.ts, the one command that starts Debian's redis-server, three
// chat nodes (examples/fanout/node.ts, ws-fanout over Redis pub/sub) and Debian's nginx
// balancing the upgrades, with 900 real `ws` clients through nginx in 10 rooms of 90 (50 of
// them with permessage-deflate). Each message carries its sender, its round (the sender's
// sequence number: a sender says one thing per round) and a checksum; every client checks,
// as messages arrive, the checksum, the room, and that each sender's rounds only go up (no
// duplicate, no reordering), and keeps what it heard for the exact counts below:
//  1. everyone talks: every message reaches every member of its room exactly once, and each
//     node built each message's frame once (twice where a room has members of both kinds);
//  2. node3 is killed (SIGKILL, through the runner) while the others' members talk: its
//     clients reconnect through nginx to the others, and the members of the surviving nodes
//     hear everything, exactly, before, during and after;
//  3. redis-server is stopped while everyone talks, and started again: each node still
//     serves its own members everything, the nodes recover (a round reaches everyone again),
//     and what was lost between them is counted by each receiving node, exactly: the messages
//     sent from the other node are the ones received plus the ones counted lost, and the
//     losses the node counted are the ones its members did not hear.
// Then SIGTERM: every client gets 1001 through nginx, the nodes print their counts, nothing is
// left running. A second runner shows that a process of its own dying unexpectedly stops
// everything. No time is asserted: each wait has a generous bound.
import { type ChildProcess, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import type { FanoutStats } from '@ws-toolkit/ws-fanout'
import { nodeWithTsx } from './run-example.js'

const examples = join(dirname(fileURLToPath(import.meta.url)), '..')
const roomCount = 10
const clientCount = 900
const roomSize = clientCount / roomCount
/** The most any one wait below may take before the test fails (a busy machine is slow, not wrong). */
const waitBoundMs = 60_000

/** What a node answers on GET /stats: ws-fanout's FanoutStats and a few more. */
interface NodeStats extends FanoutStats {
  node: string
  members: number
  redisReconnects: number
}

/** The runner as the test drives it: its lines, its commands, its processes. */
interface Runner {
  readonly child: ChildProcess
  readonly lines: string[]
  /** port is nginx's, the one public port. */
  port: number
  /** The port and pid of each process it started, by name (node1, redis-server...), as it printed them. */
  readonly processes: Map<string, { pid: number; port: number }>
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** line resolves with the first line from index `from` on that matches `pattern`. */
  line(pattern: RegExp, from?: number): Promise<RegExpExecArray>
  /** send types `command` on its standard input. */
  send(command: string): void
}

/** alive: whether a process with `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** startRunner starts examples/fanout/run.ts --port 0 and resolves once it says it listens. */
async function startRunner(t: Test): Promise<Runner> {
  const [program, ...before] = nodeWithTsx
  const child = spawn(program!, [...before, join(examples, 'fanout', 'run.ts'), '--port', '0'], { cwd: examples, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const lines: string[] = []
  const waiters = new Set<() => void>()
  const processes = new Map<string, { pid: number; port: number }>()
  // Both streams, in one list: the runner says on stderr what went wrong (shown here too).
  const read = (line: string) => {
    lines.push(line)
    const started = /^(redis-server|node\d|nginx) \(pid (\d+)\) on 127\.0\.0\.1:(\d+)/.exec(line)
    if (started) processes.set(started[1]!, { pid: Number(started[2]), port: Number(started[3]) })
    for (const waiter of waiters) waiter()
  }
  createInterface({ input: child.stdout! }).on('line', read)
  createInterface({ input: child.stderr! }).on('line', (line) => {
    process.stderr.write(`# run.ts: ${line}\n`)
    read(line)
  })
  let ended = false
  void exit.then(() => {
    ended = true
    for (const waiter of waiters) waiter()
  })
  const line = (pattern: RegExp, from = 0) =>
    bounded(new Promise<RegExpExecArray>((resolve, reject) => {
      const look = () => {
        for (let i = from; i < lines.length; i++) {
          const match = pattern.exec(lines[i]!)
          if (match) {
            waiters.delete(look)
            return resolve(match)
          }
        }
        if (ended) {
          waiters.delete(look)
          reject(new Error(`the runner exited without printing ${pattern}:\n${lines.join('\n')}`))
        }
      }
      waiters.add(look)
      look()
    }), `a line ${pattern}`)
  // Whatever happens to this test, nothing the runner started outlives it.
  const killAll = () => {
    for (const pid of [child.pid!, ...[...processes.values()].map(({ pid }) => pid)]) {
      try {
        process.kill(-pid, 'SIGKILL') // each leads a process group of its own
      } catch {
        // gone
      }
    }
  }
  process.once('exit', killAll)
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await Promise.race([exit, sleep(20_000)])
    }
    killAll()
    process.removeListener('exit', killAll)
    // A runner that failed keeps nginx's logs and names the folder: shown above, removed here.
    for (const line of lines) {
      const kept = /nginx's logs kept in (\S+)$/.exec(line)
      if (kept) rmSync(kept[1]!, { recursive: true, force: true })
    }
  })
  const port = Number((await line(/^listening on 127\.0\.0\.1:(\d+)/))[1])
  return { child, lines, port, processes, exit, line, send: (command) => child.stdin!.write(`${command}\n`) }
}

/** bounded rejects, naming `what`, if `promise` has not settled within {@link waitBoundMs}. */
async function bounded<T>(promise: Promise<T>, what: string | (() => string)): Promise<T> {
  const timer = new AbortController()
  try {
    return await Promise.race([
      promise,
      sleep(waitBoundMs, undefined, { signal: timer.signal }).then(() => {
        throw new Error(`still waiting after ${waitBoundMs} ms for ${typeof what === 'string' ? what : what()}`)
      }),
    ])
  } finally {
    timer.abort()
  }
}

/** checksum is FNV-1a (32 bits) of `text`: cheap, and any changed byte shows. */
function checksum(text: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return (hash >>> 0).toString(16)
}

/** message is what member `id` of `room` says in `round`: about 150 bytes, over the 128 from which the nodes compress. */
function message(id: number, room: number, round: number): string {
  const body = `${id}|${round}|${`chat message from ${id} in room ${room}, round ${round}; `.repeat(3)}`
  return `${body}|${checksum(body)}`
}

/** Member is one `ws` client: where it is, and what it heard. */
class Member {
  socket: WebSocket | null = null
  /** node is the node that welcomed it last. */
  node = ''
  /** agreed is the Sec-WebSocket-Extensions of its 101. */
  agreed = ''
  /** Per sender, the rounds heard from it, in order of arrival. */
  readonly heard = new Map<number, number[]>()
  /** Per round, how many messages of that round arrived. */
  readonly perRound = new Map<number, number>()
  readonly problems: string[] = []
  /** The close codes of its connections, in order. */
  readonly closes: number[] = []
  /** Set while its node is being killed: resolved once it is back in its room on another node. */
  rejoined: (() => void) | null = null
  constructor(readonly id: number, readonly room: number, readonly deflate: boolean) {}

  /** roundsFrom is the rounds heard from `sender` from round `from` on. */
  roundsFrom(sender: Member, from = 0): number[] {
    return (this.heard.get(sender.id) ?? []).filter((round) => round >= from)
  }
}

/** A wait for each of `missing` to hear round `round` from as many senders as `need` says. */
interface Barrier {
  round: number
  need: (member: Member) => number
  missing: Set<Member>
  done: () => void
}
const barriers = new Set<Barrier>()

/** heardRound resolves once each of `who` has heard round `round` from `need(member)` senders. */
function heardRound(round: number, who: Member[], need: (member: Member) => number): { done: Promise<void>; missing: Set<Member>; cancel(): void } {
  let barrier!: Barrier
  const done = new Promise<void>((resolve) => {
    barrier = { round, need, missing: new Set(who.filter((member) => (member.perRound.get(round) ?? 0) < need(member))), done: resolve }
  })
  if (barrier.missing.size === 0) barrier.done()
  else barriers.add(barrier)
  return { done, missing: barrier.missing, cancel: () => barriers.delete(barrier) }
}

/** hear checks and records one message `member` received (a view, read at once). */
function hear(member: Member, data: Buffer): void {
  const text = data.toString()
  const cut = text.lastIndexOf('|')
  const body = text.slice(0, cut)
  const [idText, roundText] = body.split('|', 2)
  const from = Number(idText)
  const round = Number(roundText)
  if (cut < 0 || checksum(body) !== text.slice(cut + 1)) return void member.problems.push(`bad checksum: ${text.slice(0, 40)}`)
  if (from % roomCount !== member.room) member.problems.push(`${from}'s message in room ${member.room}`)
  let rounds = member.heard.get(from)
  if (rounds === undefined) member.heard.set(from, (rounds = []))
  const last = rounds.at(-1)
  if (last !== undefined && round <= last) member.problems.push(`from ${from}: round ${round} after round ${last}`)
  rounds.push(round)
  const count = (member.perRound.get(round) ?? 0) + 1
  member.perRound.set(round, count)
  for (const barrier of barriers) {
    if (barrier.round !== round || count < barrier.need(member) || !barrier.missing.delete(member)) continue
    if (barrier.missing.size === 0) {
      barriers.delete(barrier)
      barrier.done()
    }
  }
}

/**
 * enter connects `member` through nginx to its room and resolves once it is welcomed (its
 * node's subscription confirmed by Redis); tries again, up to 50 times, when nginx or the node
 * refuses (a node just killed).
 */
async function enter(member: Member, port: number, onLost: (member: Member, code: number) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await enterOnce(member, port, onLost)
    } catch (error) {
      if (attempt === 50) throw error
      await sleep(50)
    }
  }
}

/** enterOnce is one attempt of {@link enter}. */
function enterOnce(member: Member, port: number, onLost: (member: Member, code: number) => void): Promise<void> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/room/r${member.room}`, { perMessageDeflate: member.deflate ? { threshold: 0 } : false })
  return new Promise((resolve, reject) => {
    let welcomed = false
    socket.once('upgrade', (response) => (member.agreed = String(response.headers['sec-websocket-extensions'] ?? '')))
    socket.on('message', (data: Buffer, binary: boolean) => {
      if (binary) return void member.problems.push('a binary message')
      if (!welcomed) {
        // The welcome comes once the node's subscription is confirmed; anything before it is
        // from members of this node, which are heard at once.
        const welcome = /^welcome to r(\d+) on (node\d)$/.exec(data.toString())
        if (welcome === null) return hear(member, data)
        if (Number(welcome[1]) !== member.room) member.problems.push(`welcomed to ${welcome[1]}`)
        welcomed = true
        member.node = welcome[2]!
        member.socket = socket
        return resolve()
      }
      hear(member, data)
    })
    socket.on('error', (error) => {
      if (!welcomed) reject(error)
    })
    socket.once('close', (code) => {
      if (!welcomed) return reject(new Error(`closed with ${code} before its welcome`))
      member.closes.push(code)
      onLost(member, code)
    })
  })
}

/** send has each of `senders` say round `round`, and notes it in `said` (per sender, its rounds). */
function send(senders: Member[], round: number, said: Map<Member, number[]>): void {
  for (const member of senders) {
    member.socket!.send(message(member.id, member.room, round))
    said.get(member)!.push(round)
  }
}

/** stats is node's counts, from its GET /stats (straight to the node, not through nginx). */
async function stats(port: number): Promise<NodeStats> {
  const response = await fetch(`http://127.0.0.1:${port}/stats`)
  return (await response.json()) as NodeStats
}

/** delta is `after` minus `before`, field by field. */
function delta(after: NodeStats, before: NodeStats): Record<Exclude<keyof NodeStats, 'node'>, number> {
  const result: Record<string, number> = {}
  for (const [key, value] of Object.entries(after)) if (typeof value === 'number') result[key] = value - (before[key as keyof NodeStats] as number)
  return result as Record<Exclude<keyof NodeStats, 'node'>, number>
}

/** mismatches lists, for up to `limit` members, where `actual` differs from `expected`. */
function mismatches(members: Member[], expected: (member: Member, sender: Member) => number[], actual: (member: Member, sender: Member) => number[], roomsOf: Member[][], limit = 5): string[] {
  const found: string[] = []
  for (const member of members) {
    for (const sender of roomsOf[member.room]!) {
      const want = expected(member, sender)
      const got = actual(member, sender)
      if (want.length !== got.length || want.some((round, i) => round !== got[i])) {
        found.push(`${member.id} (${member.node}) from ${sender.id}: heard [${got}], not [${want}]`)
        if (found.length === limit) return found
      }
    }
  }
  return found
}

t.test('examples/fanout/run.ts: 3 nodes, 900 clients in 10 rooms, a node killed and Redis restarted mid-run', async (t) => {
  const runner = await startRunner(t)
  const port = runner.port
  const nodePort = (name: string) => runner.processes.get(name)!.port
  const members = Array.from({ length: clientCount }, (_, id) => new Member(id, id % roomCount, Math.floor(id / roomCount) % 18 === 0))
  const roomsOf = Array.from({ length: roomCount }, (_, room) => members.filter((member) => member.room === room))
  const said = new Map(members.map((member) => [member, [] as number[]]))
  /** The node being killed, whose members' closes are expected; 'all' while the runner stops. */
  let closing: string | null = null
  const onLost = (member: Member, code: number) => {
    if (closing === 'all') return
    if (member.node !== closing || member.rejoined === null) return void member.problems.push(`closed with ${code} on ${member.node}`)
    const rejoined = member.rejoined
    enter(member, port, onLost).then(rejoined, (error: Error) => {
      member.problems.push(`could not rejoin: ${error.message}`)
      rejoined()
    })
  }
  const waitRound = (round: number, who: Member[], need: (member: Member) => number, what: string) => {
    const wait = heardRound(round, who, need)
    return bounded(wait.done, () => `${what}: ${wait.missing.size} members still missing messages of round ${round}`)
  }
  const everyoneInRoom = (member: Member) => roomsOf[member.room]!.length
  /** noProblems: what every client checked as its messages arrived held, for every message so far. */
  const noProblems = (t: Test) => t.same(members.flatMap((member) => member.problems).slice(0, 10), [], 'no client saw a bad checksum, a message of another room, a duplicate, a message out of its sender\'s order or a close it should not have')

  // 900 clients through nginx, 100 at a time, each in once its node has joined its room.
  for (let i = 0; i < clientCount; i += 100) await bounded(Promise.all(members.slice(i, i + 100).map((member) => enter(member, port, onLost))), 'the clients to join')
  const on = (node: string, room?: number) => members.filter((member) => member.node === node && (room === undefined || member.room === room))

  await t.test('everyone talks: every message reaches every member of its room exactly once, each frame built once per node', async (t) => {
    send(members, 1, said)
    send(members, 2, said)
    await waitRound(2, members, everyoneInRoom, 'round 2')
    t.same(mismatches(members, () => [1, 2], (member, sender) => member.roundsFrom(sender), roomsOf), [], 'each member heard rounds 1 and 2 from each of the 90 in its room, in order')
    const deflated = members.filter((member) => member.deflate)
    t.equal(deflated.filter((member) => /^permessage-deflate\b.*\bserver_no_context_takeover\b/.test(member.agreed)).length, deflated.length, `the ${deflated.length} clients that offered permessage-deflate have it, without server context takeover`)
    t.equal(members.filter((member) => !member.deflate && member.agreed !== '').length, 0, 'the others have no extension')
    for (const node of ['node1', 'node2', 'node3']) {
      const counted = await stats(nodePort(node))
      const here = on(node)
      t.ok(here.length > 0, `${node} has ${here.length} members`)
      let received = 0
      let framesBuilt = 0
      for (let room = 0; room < roomCount; room++) {
        const local = on(node, room)
        if (local.length === 0) continue // not subscribed to that room
        received += 2 * (roomSize - local.length)
        // Per message, one frame for the members without compression, one compressed frame for those with it.
        framesBuilt += 2 * roomSize * (Number(local.some((member) => !member.deflate)) + Number(local.some((member) => member.deflate)))
      }
      t.has(counted, {
        members: here.length,
        published: 2 * here.length,
        received,
        delivered: 2 * roomSize * here.length,
        framesBuilt,
        publishFailed: 0, lost: 0, duplicates: 0, malformed: 0, skipped: 0, closed: 0,
      }, `${node}: ${2 * here.length} published, ${received} received from the others, ${counted.delivered} deliveries from ${framesBuilt} frames`)
    }
    noProblems(t)
  })

  await t.test('node3 killed mid-run: its clients reconnect through nginx to the others, the others lose nothing', async (t) => {
    const victims = on('node3')
    const fallen = new Set(victims)
    const survivors = members.filter((member) => !fallen.has(member))
    const rejoins = victims.map((member) => new Promise<void>((resolve) => (member.rejoined = resolve)))
    closing = 'node3'
    // Round 3 is on its way when node3 dies; round 4 is said while its clients come back.
    send(survivors, 3, said)
    const from = runner.lines.length
    runner.send('kill node3')
    await runner.line(/^node3 killed \(SIGKILL\)/, from)
    send(survivors, 4, said)
    await waitRound(4, survivors, (member) => roomsOf[member.room]!.filter((sender) => !fallen.has(sender)).length, 'the survivors\' round 4')
    await bounded(Promise.all(rejoins), () => `${victims.filter((member) => member.node === 'node3').length} of node3's clients to rejoin`)
    closing = null
    for (const member of victims) member.rejoined = null
    t.ok(victims.length > 0, `node3 had ${victims.length} clients`)
    t.same(victims.map((member) => member.closes.length), victims.map(() => 1), 'each of them lost its connection once')
    t.equal(victims.filter((member) => member.node === 'node1' || member.node === 'node2').length, victims.length, 'and is back in its room, on node1 or node2')
    t.same(survivors.filter((member) => member.closes.length > 0).map((member) => member.id), [], 'no member of node1 or node2 lost its connection')
    // Everyone again, node3's former clients included.
    send(members, 5, said)
    await waitRound(5, members, everyoneInRoom, 'round 5')
    t.same(mismatches(survivors, (_, sender) => said.get(sender)!, (member, sender) => member.roundsFrom(sender), roomsOf), [], `each of the ${survivors.length} members of node1 and node2 heard every round each member of its room said, exactly, in order`)
    // node3's former clients heard rounds 1 and 2, maybe some of what was said while they came back, then 5.
    t.same(mismatches(victims, (member, sender) => [1, 2, ...member.roundsFrom(sender).filter((round) => round > 2 && round < 5 && said.get(sender)!.includes(round)), 5], (member, sender) => member.roundsFrom(sender), roomsOf), [], 'node3\'s former clients heard rounds 1, 2 and 5 from everyone, and nothing that was not said')
    for (const node of ['node1', 'node2']) t.has(await stats(nodePort(node)), { members: on(node).length, lost: 0, duplicates: 0, malformed: 0, publishFailed: 0 }, `${node}: nothing lost`)
    noProblems(t)
  })

  await t.test('redis-server stopped and started again mid-run: the nodes recover, and what was lost between them is counted exactly', async (t) => {
    const nodes = ['node1', 'node2']
    const before = await Promise.all(nodes.map((node) => stats(nodePort(node))))
    // Round 6 is on its way when Redis dies.
    send(members, 6, said)
    let from = runner.lines.length
    runner.send('stop redis')
    await runner.line(/^redis-server stopped \(SIGKILL\)/, from)
    // Redis is gone: each node delivers round 7 to its own members only. Once they have all
    // heard it, every node has tried to publish it, and failed.
    send(members, 7, said)
    await waitRound(7, members, (member) => on(member.node, member.room).length, 'round 7 within each node')
    from = runner.lines.length
    runner.send('start redis')
    await runner.line(/^redis-server started again/, from)
    // Both Redis connections of each node ready again: the subscriptions are made again before
    // @redis/client says ready, so what is published from now on reaches every node.
    const reconnected = async () => {
      for (;;) {
        const now = await Promise.all(nodes.map((node) => stats(nodePort(node))))
        if (now.every((counted, i) => counted.redisReconnects - before[i]!.redisReconnects >= 2)) return
        await sleep(100)
      }
    }
    await bounded(reconnected(), 'both nodes to reconnect to Redis')
    send(members, 8, said)
    await waitRound(8, members, everyoneInRoom, 'round 8, after Redis came back')
    t.pass('round 8 reached every member of every room: messages flow between the nodes again')
    const rounds = [6, 7, 8]
    const after = await Promise.all(nodes.map((node) => stats(nodePort(node))))
    t.same(mismatches(members, (member, sender) => (sender.node === member.node ? rounds : member.roundsFrom(sender, 6)), (member, sender) => member.roundsFrom(sender, 6), roomsOf), [], 'each member heard every round said by the members of its own node, Redis or not')
    for (const [i, node] of nodes.entries()) {
      const counted = delta(after[i]!, before[i]!)
      const other = on(nodes[1 - i]!)
      let sent = 0
      let unheard = 0
      let disagreements = 0
      for (let room = 0; room < roomCount; room++) {
        const local = on(node, room)
        if (local.length === 0) continue
        const others = roomsOf[room]!.filter((sender) => sender.node !== node)
        sent += others.length * rounds.length
        // A loss is the node's: each of its members in the room missed the same messages.
        const missed = (member: Member) => others.map((sender) => rounds.filter((round) => !member.roundsFrom(sender, 6).includes(round)).join(',')).join(';')
        const first = missed(local[0]!)
        disagreements += local.filter((member) => missed(member) !== first).length
        unheard += others.reduce((sum, sender) => sum + rounds.length - local[0]!.roundsFrom(sender, 6).length, 0)
      }
      t.equal(disagreements, 0, `${node}: its members in a room all missed the same messages`)
      t.equal(counted.received + counted.lost, sent, `${node}: of the ${sent} messages sent from the other node, ${counted.received} received + ${counted.lost} counted lost`)
      t.equal(counted.lost, unheard, `${node}: the ${counted.lost} it counted lost are the ones its members did not hear`)
      t.ok(counted.lost >= other.length, `${node}: round 7 from the other node (${other.length} messages) is among them`)
      t.ok(counted.publishFailed >= on(node).length, `${node}: ${counted.publishFailed} of its own messages Redis could not take, round 7's ${on(node).length} among them`)
      t.has(counted, { duplicates: 0, malformed: 0, skipped: 0, closed: 0 }, `${node}: no duplicate, nothing malformed, no member skipped or closed`)
      t.comment(`${node}: lost ${counted.lost} of ${sent} messages from the other node while Redis was away; ${counted.publishFailed} of its own not published; ${counted.redisReconnects} reconnections`)
    }
    noProblems(t)
  })

  await t.test('SIGTERM: every client closed with 1001, each node prints its counts, nothing left running', async (t) => {
    closing = 'all'
    const from = runner.lines.length
    runner.child.kill('SIGTERM')
    t.same(await bounded(runner.exit, 'the runner to stop'), { code: 0, signal: null }, 'exit code 0')
    const output = runner.lines.slice(from).join('\n')
    for (const node of ['node1', 'node2']) t.match(output, new RegExp(`^${node}: stats: \\{"node":"${node}"`, 'm'), `${node} printed its counts`)
    t.match(output, /^stopped: nodes, nginx and redis-server$/m)
    await bounded(Promise.all(members.map((member) => (member.socket!.readyState === WebSocket.CLOSED ? undefined : new Promise((resolve) => member.socket!.once('close', resolve))))), 'the clients to close')
    t.equal(members.filter((member) => member.closes.at(-1) === 1001).length, clientCount, 'every client got 1001 (going away) through nginx')
    t.same([...runner.processes].filter(([, { pid }]) => alive(pid)).map(([name]) => name), [], 'redis-server, the nodes and nginx are gone')
    noProblems(t)
  })
})

t.test('a process of the runner\'s that dies unexpectedly stops them all', async (t) => {
  const runner = await startRunner(t)
  const redis = runner.processes.get('redis-server')!
  process.kill(redis.pid, 'SIGKILL')
  await runner.line(/^redis-server exited unexpectedly \(SIGKILL\): stopping everything/)
  t.same(await bounded(runner.exit, 'the runner to stop'), { code: 1, signal: null }, 'exit code 1')
  t.same([...runner.processes].filter(([, { pid }]) => alive(pid)).map(([name]) => name), [], 'the nodes and nginx are gone too')
})
