import { describe, expect, it } from 'vitest'
import { emptyLogFilters, logMatches, mergeLogLines } from '@/utils/logs'
import { changedSettings, flattenSettings } from '@/utils/settings'

const line = (timestamp: string, level = 'INFO', module = 'mediadl.jobs', message = 'hello') => ({ timestamp, level, module, message })

describe('log lines', () => {
  it('filters by lowest level, module prefix and text', () => {
    const filters = { ...emptyLogFilters(), level: 'WARNING', module: 'mediadl.jobs', q: 'disk' }
    expect(logMatches(line('t', 'ERROR', 'mediadl.jobs.runner', 'Disk full'), filters)).toBe(true)
    expect(logMatches(line('t', 'INFO', 'mediadl.jobs', 'disk'), filters)).toBe(false)
    expect(logMatches(line('t', 'ERROR', 'mediadl.api', 'disk'), filters)).toBe(false)
  })

  it('keeps time order and only the newest lines', () => {
    const merged = mergeLogLines([line('2026-01-01T00:00:02Z')], [line('2026-01-01T00:00:01Z'), line('2026-01-01T00:00:03Z')], 2)
    expect(merged.map((record) => record.timestamp)).toEqual(['2026-01-01T00:00:02Z', '2026-01-01T00:00:03Z'])
  })
})

describe('server settings form', () => {
  it('flattens groups, hides secrets and sends back only what changed, nested', () => {
    const fields = flattenSettings({ max_concurrent_downloads: 3, secret_key: 'x', jobs: { max_attempts: 3, lease_seconds: 30 }, cors_origins: [] })
    expect(fields.map((field) => field.path)).toEqual(['max_concurrent_downloads', 'jobs.max_attempts', 'jobs.lease_seconds', 'cors_origins'])
    const draft = Object.fromEntries(fields.map((field) => [field.path, field.value]))
    draft['jobs.max_attempts'] = 5
    expect(changedSettings(fields, draft)).toEqual({ jobs: { max_attempts: 5 } })
  })
})

describe('read-only and enumerated settings', () => {
  it('marks what the server lists as read-only and never sends it back', () => {
    const fields = flattenSettings({ download_dir: '/data', default_priority: 'normal', read_only: ['download_dir'], overridden: [] })
    expect(fields.map((field) => [field.path, field.type, field.readonly])).toEqual([
      ['download_dir', 'text', true], ['default_priority', 'choice', false]])
    expect(changedSettings(fields, { download_dir: '/elsewhere', default_priority: 'high' })).toEqual({ default_priority: 'high' })
  })
})
