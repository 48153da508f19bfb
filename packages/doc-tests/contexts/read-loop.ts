// A read loop's state: `chunk` is bytes from the socket, `offset` where the next frame starts.
declare const chunk: Uint8Array
declare const offset: number
