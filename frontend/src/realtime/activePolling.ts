// TEMPORARY — remove once the server has /ws/* (realtime issue): while the WebSocket
// endpoints do not exist, this keeps progress bars moving by asking for the RUNNING jobs
// only (a handful, bounded by the worker count), never for whole lists. Jobs that stop
// running are fetched once by id to learn how they ended.
import { queueApi } from '@/api/queue'
import type { Job } from '@/api/types'

export interface ActivePollingTarget {
  applyJob: (job: Job) => void
}

const INTERVAL_MS = 1500
const RUNNING_PAGE = 100

export function startActivePolling(target: ActivePollingTarget, intervalMs = INTERVAL_MS): () => void {
  let running = new Set<number>()
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | null = null

  async function tick(): Promise<void> {
    if (!globalThis.document?.hidden) {
      const answer = await queueApi.list({ status: 'running', page_size: RUNNING_PAGE })
      const now = new Set(answer.items.map((job) => job.id))
      answer.items.forEach(target.applyJob)
      const ended = [...running].filter((id) => !now.has(id))
      for (const job of await Promise.all(ended.map((id) => queueApi.get(id).catch(() => null)))) {
        if (job) target.applyJob(job)
      }
      running = now
    }
  }

  async function loop(): Promise<void> {
    try {
      await tick()
    } catch {
      // A failed round is simply retried at the next one.
    }
    if (!stopped) timer = setTimeout(loop, intervalMs)
  }

  void loop()
  return () => {
    stopped = true
    if (timer) clearTimeout(timer)
  }
}
