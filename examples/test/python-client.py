# A python3-websockets client (Debian's package; run it with /usr/bin/python3) for the deflate
# examples: it sends messages with compression on, checks each echo, and prints the result as
# JSON with the Sec-WebSocket-Extensions the server answered. With `--cafile FILE` (wss://), the
# server's certificate is verified against FILE as the only CA (the TLS examples' tests).
import asyncio
import json
import ssl
import sys

import websockets


async def main(uri, cafile=None):
    tls = {'ssl': ssl.create_default_context(cafile=cafile)} if cafile else {}
    async with websockets.connect(uri, max_size=None, **tls) as ws:
        extensions = ws.response_headers.get('Sec-WebSocket-Extensions')
        messages = ['hello', 'hello', 'word ' * 20000, bytes(range(256)) * 100, '']
        echoed = []
        for message in messages:
            await ws.send(message)
            echoed.append(await ws.recv() == message)
        await ws.send(['frag', 'mented'])  # an iterable is sent as a fragmented message
        echoed.append(await ws.recv() == 'fragmented')
    print(json.dumps({'extensions': extensions, 'echoed': echoed, 'close': ws.close_code}))


if sys.argv[1] == '--cafile':
    asyncio.run(main(sys.argv[3], cafile=sys.argv[2]))
else:
    asyncio.run(main(sys.argv[1]))
