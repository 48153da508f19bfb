import t from 'tap'

t.test('the built package resolves through its exports map, and so does ws-core from it', async (t) => {
  const self = await import('@ws-toolkit/ws-flate')
  t.same(Object.keys(self).sort(), [
    'acceptOffer', 'acceptResponse', 'agreementOf', 'deflateNegotiator', 'deflateOffer', 'extensionName', 'formatParameters', 'parseParameters',
  ])
  const core = await import('@ws-toolkit/ws-core')
  t.type(core.readHeader, 'function', 'its dependency on ws-core is wired')
})
