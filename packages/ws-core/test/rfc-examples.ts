// The examples of RFC 6455 §5.7, byte for byte.
export const hello = [0x48, 0x65, 0x6c, 0x6c, 0x6f]
export const exampleMask = 0x37fa213d

export const rfcExamples: { name: string; bytes: number[]; fin: boolean; opCode: number; masked: boolean; payload: number[] }[] = [
  { name: 'single-frame unmasked text', bytes: [0x81, 0x05, ...hello], fin: true, opCode: 1, masked: false, payload: hello },
  {
    name: 'single-frame masked text',
    bytes: [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
    fin: true, opCode: 1, masked: true, payload: hello,
  },
  { name: 'fragmented text, first', bytes: [0x01, 0x03, 0x48, 0x65, 0x6c], fin: false, opCode: 1, masked: false, payload: [0x48, 0x65, 0x6c] },
  { name: 'fragmented text, last', bytes: [0x80, 0x02, 0x6c, 0x6f], fin: true, opCode: 0, masked: false, payload: [0x6c, 0x6f] },
  { name: 'unmasked ping', bytes: [0x89, 0x05, ...hello], fin: true, opCode: 9, masked: false, payload: hello },
  {
    name: 'masked pong',
    bytes: [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
    fin: true, opCode: 10, masked: true, payload: hello,
  },
  {
    name: '256 bytes binary',
    bytes: [0x82, 0x7e, 0x01, 0x00, ...new Array(256).fill(0xab)],
    fin: true, opCode: 2, masked: false, payload: new Array(256).fill(0xab),
  },
  {
    name: '64KiB binary',
    bytes: [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0, ...new Array(65536).fill(0xcd)],
    fin: true, opCode: 2, masked: false, payload: new Array(65536).fill(0xcd),
  },
]
