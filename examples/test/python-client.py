# A python3-websockets client (Debian's package; run it with /usr/bin/python3) for the deflate
# examples: it sends messages with compression on, checks each echo, and prints the result as
# JSON with the Sec-WebSocket-Extensions the server answered.
import asyncio
import json
import sys

import websockets


async def main(uri):
    async with websockets.connect(uri, max_size=None) as ws:
        extensions = ws.response_headers.get('Sec-WebSocket-Extensions')
        messages = ['hello', 'hello', 'word ' * 20000, bytes(range(256)) * 100, '']
        echoed = []
        for message in messages:
            await ws.send(message)
            echoed.append(await ws.recv() == message)
        await ws.send(['frag', 'mented'])  # an iterable is sent as a fragmented message
        echoed.append(await ws.recv() == 'fragmented')
    print(json.dumps({'extensions': extensions, 'echoed': echoed, 'close': ws.close_code}))


asyncio.run(main(sys.argv[1]))
