/**
 * @ws-toolkit/ws-flate/zlib: the node:zlib engine (Node.js only), kept out of the main entry
 * so that the package loads where node:zlib does not exist.
 */
export { zlibEngine } from './zlib-engine.js'
