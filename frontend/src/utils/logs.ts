// Log lines in the viewer: filtered like the server filters them, oldest first, bounded.
import type { LogRecord } from '@/api/types'

export const MAX_LOG_LINES = 5000
const LEVEL_ORDER = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']

export function levelRank(level: string): number {
  const rank = LEVEL_ORDER.indexOf(level.toUpperCase())
  return rank === -1 ? 0 : rank
}

export function logMatches(record: LogRecord, filters: { level: string; module: string; q: string }): boolean {
  if (levelRank(record.level) < levelRank(filters.level)) return false
  if (filters.module && !record.module.startsWith(filters.module)) return false
  return !filters.q || record.message.toLowerCase().includes(filters.q.toLowerCase())
}

/** Adds records to the viewer's lines in time order and keeps only the newest ones. */
export function mergeLogLines(current: LogRecord[], added: LogRecord[], limit = MAX_LOG_LINES): LogRecord[] {
  const merged = current.concat(added)
  const sorted = merged.every((record, index) => index === 0 || merged[index - 1].timestamp <= record.timestamp)
    ? merged : [...merged].sort((a, b) => a.timestamp.localeCompare(b.timestamp))
  return sorted.length > limit ? sorted.slice(sorted.length - limit) : sorted
}
