/** checkLevel accepts a compression level from 1 (fastest) to 9 (smallest), or none (the engine's default). */
export function checkLevel(level: number | undefined): void {
  if (level !== undefined && !(Number.isInteger(level) && level >= 1 && level <= 9)) throw new RangeError(`invalid level ${level}: 1 to 9`)
}

/** checkMemLevel accepts a memory level from 1 (least memory) to 9 (zlib's meaning, RFC 1950's zlib), or none (the engine's default). */
export function checkMemLevel(memLevel: number | undefined): void {
  if (memLevel !== undefined && !(Number.isInteger(memLevel) && memLevel >= 1 && memLevel <= 9)) throw new RangeError(`invalid memLevel ${memLevel}: 1 to 9`)
}
