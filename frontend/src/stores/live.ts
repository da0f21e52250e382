// Live job state from the realtime stream: the latest status and progress of every job
// that changed since its list was loaded. Lists show their rows through `overlay`.
import { defineStore } from 'pinia'
import { reactive, ref } from 'vue'
import type { Job, JobStatus, Progress, QueueStats } from '@/api/types'

export type Connection = 'off' | 'connecting' | 'live' | 'reconnecting'

export interface LiveJob {
  status?: JobStatus
  progress?: Progress
  job?: Job
  at: number
}

export interface ProgressEvent {
  id: number
  status?: JobStatus
  percent?: number | null
  downloaded_bytes?: number
  total_bytes?: number | null
  speed_bps?: number | null
  eta_s?: number | null
}

export interface QueueUpdate {
  action: string
  item?: Job
  id?: number
  previous_status?: JobStatus | null
}

const MAX_TRACKED = 5000

/** The `snapshot` message (realtime/snapshot.py): the active jobs first, and the counters. */
export interface Snapshot {
  items: Job[]
  stats: QueueStats
  total_active?: number
}

export const useLiveStore = defineStore('live', () => {
  const jobs = reactive(new Map<number, LiveJob>())
  const counters = ref<QueueStats | null>(null)
  // Bumped when the set or order of jobs may have changed: open lists reload their page.
  const changes = ref(0)
  const connection = ref<Connection>('off')

  function remember(id: number, update: Omit<LiveJob, 'at'>): void {
    jobs.set(id, { ...jobs.get(id), ...update, at: Date.now() })
    if (jobs.size > MAX_TRACKED) prune()
  }

  function prune(): void {
    const oldest = [...jobs.entries()].sort((a, b) => a[1].at - b[1].at)
    for (const [id] of oldest.slice(0, jobs.size - MAX_TRACKED)) jobs.delete(id)
  }

  function applyJob(job: Job): void {
    const before = jobs.get(job.id)?.status
    remember(job.id, { job, status: job.status, progress: job.progress })
    if (before !== job.status) changes.value += 1
  }

  function applySnapshot(snapshot: Snapshot): void {
    for (const job of snapshot.items) remember(job.id, { job, status: job.status, progress: job.progress })
    counters.value = snapshot.stats
    changes.value += 1
  }

  function applyProgress(event: ProgressEvent): void {
    const previous = jobs.get(event.id)
    remember(event.id, {
      status: event.status ?? previous?.status,
      progress: {
        percent: event.percent ?? null,
        downloaded_bytes: event.downloaded_bytes ?? 0,
        total_bytes: event.total_bytes ?? null,
        speed_bps: event.speed_bps ?? null,
        eta_s: event.eta_s ?? null,
      },
    })
    if (previous?.status !== undefined && event.status !== undefined && previous.status !== event.status) {
      changes.value += 1
    }
  }

  // Counters stay exact without a request: the old status loses one, the new one gains one.
  function countUpdate(update: QueueUpdate): void {
    if (!counters.value || !update.item) return
    const before = update.action === 'added' ? null : update.previous_status ?? update.item.status
    const after = update.action === 'removed' ? null : update.item.status
    if (before === after) return
    const next = { ...counters.value }
    if (before) next[before] = Math.max(0, (next[before] ?? 0) - 1)
    if (after) next[after] = (next[after] ?? 0) + 1
    counters.value = next
  }

  function applyQueueUpdate(update: QueueUpdate): void {
    if ('previous_status' in update) countUpdate(update)
    const item = update.item
    if (item) remember(item.id, { job: item, status: item.status, progress: item.progress })
    if (update.action === 'removed' && (item?.id ?? update.id) !== undefined) jobs.delete((item?.id ?? update.id) as number)
    changes.value += 1
  }

  /** A job as the list loaded it, with whatever the stream said since. */
  function overlay(job: Job): Job {
    const live = jobs.get(job.id)
    if (!live) return job
    return { ...job, ...live.job, status: live.status ?? job.status, progress: live.progress ?? job.progress }
  }

  function forget(ids: number[]): void {
    for (const id of ids) jobs.delete(id)
  }

  return { jobs, counters, changes, connection, applyJob, applySnapshot, applyProgress, applyQueueUpdate, overlay, forget }
})
