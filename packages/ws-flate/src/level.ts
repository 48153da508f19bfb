/** checkLevel accepts a compression level from 1 (fastest) to 9 (smallest), or none (the engine's default). */
export function checkLevel(level: number | undefined): void {
  if (level !== undefined && !(Number.isInteger(level) && level >= 1 && level <= 9)) throw new RangeError(`invalid level ${level}: 1 to 9`)
}
