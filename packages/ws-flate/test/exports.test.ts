import t from 'tap'

t.test('the built package resolves through its exports map, and so does ws-core from it', async (t) => {
  const self = await import('@ws-toolkit/ws-flate')
  t.same(Object.keys(self).sort(), [
    'EnginePool', 'EngineUnavailableError', 'IdleSweep', 'MessageDeflater', 'MessageInflater', 'OffThreadDeflater', 'PerMessageDeflate', 'acceptOffer', 'acceptResponse', 'agreementOf', 'compressFrame',
    'decompressFrame', 'defaultEngine', 'defaultMaxMessageSize', 'defaultPoolKeep', 'defaultThreshold', 'deflateNegotiator', 'deflateOffer', 'extensionName',
    'fflateEngine', 'formatParameters', 'idleSweep', 'lazySource', 'lentMessages', 'parseParameters', 'sharedDeflaters', 'sharedInflaters', 'syncTail',
  ])
  const zlib = await import('@ws-toolkit/ws-flate/zlib')
  t.same(Object.keys(zlib), ['zlibEngine'], 'the node:zlib engine has an entry of its own')
  const core = await import('@ws-toolkit/ws-core')
  t.type(core.readHeader, 'function', 'its dependency on ws-core is wired')
})
