import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useQueueStore } from '@/stores/queue'
import { fakeFetch, job } from './helpers'

const page = (items: ReturnType<typeof job>[]) => ({ items, total: items.length, page: 1, page_size: 25 })
const stats = { queued: 3, paused: 0, running: 0, completed: 0, failed: 0, canceled: 0 }

describe('queue store', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.unstubAllGlobals())

  it('loads one page with the filters and sort as query parameters', async () => {
    const { calls } = fakeFetch({ 'GET /api/v1/queue': { body: page([job()]) } })
    const queue = useQueueStore()
    queue.filters.status = 'failed'
    queue.filters.q = 'cat'
    await queue.load()
    expect(calls[0].url).toBe('/api/v1/queue?status=failed&q=cat&sort=priority&order=asc&page=1&page_size=25')
    expect(queue.rows).toHaveLength(1)
  })

  it('moves a job above its neighbour by taking its position', async () => {
    const rows = [job({ id: 1, position: 10 }), job({ id: 2, position: 11 }), job({ id: 3, position: 12, priority: 'low' })]
    const { calls } = fakeFetch({
      'GET /api/v1/queue': { body: page(rows) },
      'GET /api/v1/queue/stats': { body: stats },
      'PATCH /api/v1/queue/2': { body: job({ id: 2, position: 10 }) },
    })
    const queue = useQueueStore()
    await queue.load()
    expect(queue.canMove(rows[0], -1)).toBe(false)
    expect(queue.canMove(rows[1], 1)).toBe(false) // the next one has another priority
    await queue.move(rows[1], -1)
    expect(calls.find((call) => call.method === 'PATCH')?.body).toEqual({ position: 10 })
  })

  it('offers no reordering when the list is sorted by date', async () => {
    fakeFetch({ 'GET /api/v1/queue': { body: page([job({ id: 1 }), job({ id: 2 })]) } })
    const queue = useQueueStore()
    queue.filters.sort = 'created_at'
    await queue.load()
    expect(queue.canMove(queue.rows[1], -1)).toBe(false)
  })

  it('retries every failed job, page after page of ids', async () => {
    const failed = Array.from({ length: 3 }, (_, index) => job({ id: index + 1, status: 'failed' }))
    const { calls } = fakeFetch({
      'GET /api/v1/queue': { body: page(failed) },
      'GET /api/v1/queue/stats': { body: stats },
      'POST /api/v1/queue/bulk': { body: { affected: 3 } },
    })
    expect(await useQueueStore().retryAllFailed()).toBe(3)
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ action: 'retry', ids: [1, 2, 3] })
  })
})
