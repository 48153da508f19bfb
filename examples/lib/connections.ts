// The examples' connection set is ws-util's ConnectionSet (opt-in: ws-util keeps no registry
// unless you make one). This name stays for the examples that still import it from here.
export { ConnectionSet as Connections } from '@ws-toolkit/ws-util'
