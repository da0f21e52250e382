import { defineStore } from 'pinia'
import { computed, reactive, ref } from 'vue'
import { queueApi } from '@/api/queue'
import type { BulkQueueAction, EnqueueRequest, Job, JobStatus, Priority, QueueQuery, QueueStats } from '@/api/types'
import { useLiveStore } from './live'
import { usePrefsStore } from './prefs'

export type QueueSort = 'priority' | 'created_at' | 'updated_at' | 'platform'
export const ACTIVE_STATUSES: JobStatus[] = ['queued', 'paused', 'running']
const ID_PAGE = 500

export const useQueueStore = defineStore('queue', () => {
  const live = useLiveStore()
  const { prefs } = usePrefsStore()
  const filters = reactive({ status: '', platform: '', q: '', sort: 'priority' as QueueSort, order: 'asc' as 'asc' | 'desc' })
  const page = ref(1)
  const items = ref<Job[]>([])
  const total = ref(0)
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<unknown>(null)
  const stats = ref<QueueStats | null>(null)
  let inFlight: AbortController | null = null

  const rows = computed(() => items.value.map(live.overlay))
  const pageCount = computed(() => Math.max(1, Math.ceil(total.value / prefs.queuePageSize)))
  const canReorder = computed(() => filters.sort === 'priority' && filters.order === 'asc')

  function query(): QueueQuery {
    return { ...filters, page: page.value, page_size: prefs.queuePageSize }
  }

  async function load(): Promise<void> {
    inFlight?.abort()
    const controller = (inFlight = new AbortController())
    loading.value = true
    try {
      const answer = await queueApi.list(query(), controller.signal)
      live.forget(answer.items.map((job) => job.id))
      items.value = answer.items
      total.value = answer.total
      error.value = null
      loaded.value = true
    } catch (caught) {
      if (!controller.signal.aborted) error.value = caught
    } finally {
      if (inFlight === controller) loading.value = false
    }
  }

  async function loadStats(): Promise<void> {
    stats.value = await queueApi.stats()
  }

  async function afterChange<T>(action: Promise<T>): Promise<T> {
    const result = await action
    await Promise.all([load(), loadStats().catch(() => undefined)])
    return result
  }

  function neighbour(job: Job, step: -1 | 1): Job | undefined {
    const index = rows.value.findIndex((row) => row.id === job.id)
    const other = rows.value[index + step]
    const movable = other && other.priority === job.priority && ACTIVE_STATUSES.includes(other.status)
    return movable ? other : undefined
  }

  async function move(job: Job, step: -1 | 1): Promise<void> {
    const other = neighbour(job, step)
    if (!other) return
    // The server places the job at a position and pushes the rest back by one.
    const position = step === -1 ? other.position : other.position + 1
    await afterChange(queueApi.update(job.id, { position }))
  }

  async function idsWithStatus(status: JobStatus): Promise<number[]> {
    const ids: number[] = []
    for (let next = 1; ; next += 1) {
      const answer = await queueApi.list({ status, page: next, page_size: ID_PAGE })
      ids.push(...answer.items.map((job) => job.id))
      if (answer.items.length < ID_PAGE) return ids
    }
  }

  async function retryAllFailed(): Promise<number> {
    const ids = await idsWithStatus('failed')
    let affected = 0
    for (let start = 0; start < ids.length; start += ID_PAGE) {
      affected += (await queueApi.bulk('retry', ids.slice(start, start + ID_PAGE))).affected
    }
    await Promise.all([load(), loadStats()])
    return affected
  }

  return {
    filters, page, items, rows, total, loading, loaded, error, stats, pageCount, canReorder,
    load, loadStats, move, retryAllFailed,
    canMove: (job: Job, step: -1 | 1) => canReorder.value && ACTIVE_STATUSES.includes(job.status) && !!neighbour(job, step),
    add: (request: EnqueueRequest) => afterChange(queueApi.add(request)),
    addMany: (urls: string[], rest: Omit<EnqueueRequest, 'url'>) => afterChange(queueApi.addBatch(urls, rest)),
    retry: (id: number) => afterChange(queueApi.retry(id)),
    pause: (id: number) => afterChange(queueApi.update(id, { paused: true })),
    resume: (id: number) => afterChange(queueApi.update(id, { paused: false })),
    setPriority: (id: number, priority: Priority) => afterChange(queueApi.update(id, { priority })),
    remove: (id: number) => afterChange(queueApi.remove(id)),
    bulk: (action: BulkQueueAction, ids: number[], priority?: Priority) => afterChange(queueApi.bulk(action, ids, priority)),
    clear: (statuses: JobStatus[]) => afterChange(queueApi.clear(statuses)),
    pauseAll: () => afterChange(queueApi.pauseAll()),
    resumeAll: () => afterChange(queueApi.resumeAll()),
  }
})
