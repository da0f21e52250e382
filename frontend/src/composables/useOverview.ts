// The dashboard's figures: from /stats/overview when the server has it, otherwise put
// together from the library and queue endpoints every server has.
import { libraryApi } from '@/api/library'
import { schedulerApi, statsApi } from '@/api/features'
import { listOf } from '@/api/lists'
import type { StatsOverview } from '@/api/types'
import { useCapabilitiesStore } from '@/stores/capabilities'

const DAY_MS = 86_400_000

function isoDaysAgo(days: number, now = new Date()): string {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate())
  return new Date(start.getTime() - days * DAY_MS).toISOString()
}

async function countSince(dateFrom: string): Promise<number> {
  return (await libraryApi.list({ date_from: dateFrom, page_size: 1 })).total
}

async function nextScheduledRun(): Promise<string | null> {
  const schedules = listOf(await schedulerApi.list())
  const upcoming = schedules.filter((schedule) => schedule.enabled && schedule.next_run_at)
    .map((schedule) => schedule.next_run_at as string).sort()
  return upcoming[0] ?? null
}

async function assembled(hasScheduler: boolean): Promise<StatsOverview> {
  const [today, week, month, stats, next] = await Promise.all([
    countSince(isoDaysAgo(0)), countSince(isoDaysAgo(6)), countSince(isoDaysAgo(29)), libraryApi.stats(),
    hasScheduler ? nextScheduledRun().catch(() => null) : Promise.resolve(undefined),
  ])
  return {
    downloads_today: today, downloads_week: week, downloads_month: month,
    storage_used: stats.total_size, storage_free: null, next_scheduled_run: next,
  }
}

function pick(source: Record<string, unknown>, paths: string[]): unknown {
  for (const path of paths) {
    const value = path.split('.').reduce<unknown>((node, key) =>
      (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), source)
    if (value !== undefined) return value
  }
  return undefined
}

/** A rate the server sends as a fraction (0.9) or as a percentage (90). */
function asPercent(value: number | undefined): number | null {
  if (value === undefined) return null
  return value <= 1 ? value * 100 : value
}

/** The overview endpoint may nest its figures ({downloads: {today}}) or not. */
export function normalizeOverview(raw: Record<string, unknown>): StatsOverview {
  const number = (paths: string[]) => {
    const value = pick(raw, paths)
    return typeof value === 'number' ? value : undefined
  }
  return {
    downloads_today: number(['downloads.today.downloads', 'downloads_today', 'downloads.today']),
    downloads_week: number(['downloads.week.downloads', 'downloads_week', 'downloads.week']),
    downloads_month: number(['downloads.month.downloads', 'downloads_month', 'downloads.month']),
    success_rate: asPercent(number(['success_rate', 'queue.success_rate'])),
    storage_used: number(['storage.used_bytes', 'storage_used', 'storage.used']),
    storage_free: number(['storage.free_bytes', 'storage_free', 'storage.free', 'disk_free']) ?? null,
    next_scheduled_run: (pick(raw, ['next_scheduled_run', 'next_run_at', 'scheduler.next_run_at']) as string | null) ?? null,
  }
}

export async function loadOverview(): Promise<StatsOverview> {
  const capabilities = useCapabilitiesStore()
  await capabilities.load()
  if (capabilities.has('GET', '/api/v1/stats/overview')) return normalizeOverview(await statsApi.overview())
  return assembled(capabilities.has('GET', '/api/v1/scheduler/jobs'))
}
