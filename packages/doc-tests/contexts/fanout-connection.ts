// One accepted connection on a node that fans out: its reader and writer (ws-util), its
// permessage-deflate agreement (ws-flate), the room it joined, and the node's Fanout.
import { Upgrader } from '@ws-toolkit/ws-core'
import { deflateNegotiator, defaultEngine, type DeflateAgreement } from '@ws-toolkit/ws-flate'
import type { BatchWriter, DataReader } from '@ws-toolkit/ws-util'
import { Fanout, type Subscriber } from '@ws-toolkit/ws-fanout'
declare const writer: BatchWriter
declare const reader: DataReader
declare const agreement: DeflateAgreement | null
declare const room: string
declare const fanout: Fanout
declare const data: Uint8Array
