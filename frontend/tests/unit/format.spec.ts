import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration, formatEta, formatRelative, formatSpeed, parseTime, qualityLabel } from '@/utils/format'

describe('format', () => {
  it('sizes', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1536)).toBe('1.50 KiB')
    expect(formatBytes(385008)).toBe('376 KiB')
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.00 GiB')
    expect(formatBytes(null)).toBe('—')
    expect(formatSpeed(2 * 1024 * 1024)).toBe('2.00 MiB/s')
    expect(formatSpeed(0)).toBe('—')
  })

  it('durations and time left', () => {
    expect(formatDuration(187)).toBe('3:07')
    expect(formatDuration(3723)).toBe('1:02:03')
    expect(formatEta(45)).toBe('45 s')
    expect(formatEta(185)).toBe('3 min 5 s')
    expect(formatEta(7800)).toBe('2 h 10 min')
    expect(formatEta(null)).toBe('—')
  })

  it('relative times and UTC stamps without a zone', () => {
    const now = new Date('2026-11-21T12:00:00Z')
    expect(formatRelative('2026-11-21T11:57:00Z', now)).toBe('3 minutes ago')
    expect(formatRelative('2026-11-21T14:00:00Z', now)).toBe('in 2 hours')
    expect(parseTime('2026-11-21T10:30:45')?.toISOString()).toBe('2026-11-21T10:30:45.000Z')
  })

  it('quality names', () => {
    expect(qualityLabel('best')).toBe('Best available')
    expect(qualityLabel('720')).toBe('720p')
    expect(qualityLabel('audio')).toBe('Audio only')
  })
})
