// Log lines in the viewer: filtered like the server filters them, oldest first, bounded.
import type { LogQuery, LogRecord } from '@/api/types'

export const MAX_LOG_LINES = 5000
const LEVEL_ORDER = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']

/** The viewer's filter fields as typed: since/until are local datetime-local values. */
export interface LogFilters {
  level: string
  module: string
  q: string
  jobId: string
  since: string
  until: string
}

export function emptyLogFilters(): LogFilters {
  return { level: 'INFO', module: '', q: '', jobId: '', since: '', until: '' }
}

export function levelRank(level: string): number {
  const rank = LEVEL_ORDER.indexOf(level.toUpperCase())
  return rank === -1 ? 0 : rank
}

/** A job id as typed, or undefined when the field holds no whole positive number. */
export function jobIdOf(text: string): number | undefined {
  const id = Number(text.trim())
  return text.trim() && Number.isInteger(id) && id > 0 ? id : undefined
}

function utc(local: string): string | undefined {
  const moment = local ? new Date(local) : null
  return moment && !Number.isNaN(moment.getTime()) ? moment.toISOString() : undefined
}

/** The query GET /api/v1/logs and /logs/download understand, from the viewer's fields. */
export function logQuery(filters: LogFilters): LogQuery {
  return {
    level: filters.level, module: filters.module?.trim() || undefined, q: filters.q?.trim() || undefined,
    job_id: jobIdOf(filters.jobId ?? ''), since: utc(filters.since), until: utc(filters.until),
  }
}

function inTimeRange(record: LogRecord, query: LogQuery): boolean {
  const at = new Date(record.timestamp).getTime()
  if (query.since && at < new Date(query.since).getTime()) return false
  return !query.until || at <= new Date(query.until).getTime()
}

/** Whether a streamed record belongs in the view (the socket filters level and module only). */
export function logMatches(record: LogRecord, filters: LogFilters): boolean {
  const query = logQuery(filters)
  if (levelRank(record.level) < levelRank(filters.level)) return false
  if (query.module && !record.module.startsWith(query.module)) return false
  if (query.job_id !== undefined && record.job_id !== query.job_id) return false
  if (!inTimeRange(record, query)) return false
  return !query.q || record.message.toLowerCase().includes(query.q.toLowerCase())
}

/** Adds records to the viewer's lines in time order and keeps only the newest ones. */
export function mergeLogLines(current: LogRecord[], added: LogRecord[], limit = MAX_LOG_LINES): LogRecord[] {
  const merged = current.concat(added)
  const sorted = merged.every((record, index) => index === 0 || merged[index - 1].timestamp <= record.timestamp)
    ? merged : [...merged].sort((a, b) => a.timestamp.localeCompare(b.timestamp))
  return sorted.length > limit ? sorted.slice(sorted.length - limit) : sorted
}
