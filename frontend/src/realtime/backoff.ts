/** Reconnect delay: doubles from half a second up to 30 s, with ±20 % jitter so that many
 * browsers do not all come back at the same instant after a server restart. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.max(0, attempt))
  return Math.round(base * (0.8 + 0.4 * random()))
}
