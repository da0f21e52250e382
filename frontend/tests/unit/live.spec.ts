import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { useLiveStore } from '@/stores/live'
import { job } from './helpers'

const stats = { queued: 2, paused: 0, running: 1, completed: 5, failed: 0, canceled: 0 }

describe('live store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('takes counters and active jobs from a snapshot and asks lists to resync', () => {
    const live = useLiveStore()
    live.applySnapshot({ items: [job({ id: 7, status: 'running' })], stats })
    expect(live.counters).toEqual(stats)
    expect(live.overlay(job({ id: 7 })).status).toBe('running')
    expect(live.changes).toBe(1)
  })

  it('overlays the latest progress on a loaded row', () => {
    const live = useLiveStore()
    live.applyProgress({ id: 3, status: 'running', percent: 42.5, downloaded_bytes: 425, total_bytes: 1000, speed_bps: 100, eta_s: 6 })
    const shown = live.overlay(job({ id: 3, status: 'queued' }))
    expect(shown.status).toBe('running')
    expect(shown.progress).toEqual({ percent: 42.5, downloaded_bytes: 425, total_bytes: 1000, speed_bps: 100, eta_s: 6 })
    expect(live.overlay(job({ id: 4 })).progress.percent).toBeNull()
  })

  it('keeps counters exact from queue_updated with previous_status', () => {
    const live = useLiveStore()
    live.applySnapshot({ items: [], stats })
    live.applyQueueUpdate({ action: 'completed', item: job({ status: 'completed' }), previous_status: 'running' })
    live.applyQueueUpdate({ action: 'added', item: job({ id: 9, status: 'queued' }), previous_status: null })
    live.applyQueueUpdate({ action: 'removed', item: job({ id: 8, status: 'failed' }), previous_status: 'failed' })
    expect(live.counters).toMatchObject({ running: 0, completed: 6, queued: 3, failed: 0 })
  })

  it('forgets what a fresh page load already shows', () => {
    const live = useLiveStore()
    live.applyProgress({ id: 5, percent: 10, downloaded_bytes: 1 })
    live.forget([5])
    expect(live.jobs.has(5)).toBe(false)
  })

  it('drops a removed job', () => {
    const live = useLiveStore()
    live.applyQueueUpdate({ action: 'added', item: job({ id: 11 }), previous_status: null })
    expect(live.jobs.has(11)).toBe(true)
    live.applyQueueUpdate({ action: 'removed', id: 11 })
    expect(live.jobs.has(11)).toBe(false)
    expect(live.connection).toBe('off')
  })

  it('takes a resync snapshot over what it knew', () => {
    const live = useLiveStore()
    live.applyProgress({ id: 12, status: 'running', percent: 50, downloaded_bytes: 5 })
    live.applySnapshot({ items: [job({ id: 12, status: 'completed' })], stats: { ...stats, completed: 6 } })
    expect(live.overlay(job({ id: 12 })).status).toBe('completed')
    expect(live.counters?.completed).toBe(6)
    expect(live.changes).toBe(1)
  })
})
