import { describe, expect, it } from 'vitest'
import { CronError, describeCron, instantOf, nextRuns, parseCron } from '@/utils/cron'

const iso = (dates: Date[]) => dates.map((date) => date.toISOString())

describe('parseCron', () => {
  it('expands lists, ranges, steps and names', () => {
    const spec = parseCron('*/15 9-17 * jan,jul mon-fri')
    expect(spec.minutes).toEqual([0, 15, 30, 45])
    expect(spec.hours).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17])
    expect(spec.months).toEqual([1, 7])
    expect(spec.weekdays).toEqual([1, 2, 3, 4, 5])
  })

  it('reads presets and treats 7 as Sunday', () => {
    expect(parseCron('daily').fields).toEqual(['0', '0', '*', '*', '*'])
    expect(parseCron('0 0 * * 7').weekdays).toEqual([0])
  })

  it('says what is wrong', () => {
    expect(() => parseCron('0 25 * * *')).toThrow(/hour field must be between 0 and 23/)
    expect(() => parseCron('0 0 *')).toThrow(CronError)
    expect(() => parseCron('*/0 * * * *')).toThrow(/step/)
  })
})

describe('describeCron', () => {
  it.each([
    ['0 3 * * *', 'Every day at 03:00'],
    ['*/15 * * * *', 'Every 15 minutes'],
    ['0 * * * *', 'Every hour, on the hour'],
    ['0 8 * * 1-5', 'On weekdays at 08:00'],
    ['30 6 1 * *', 'On day 1 of the month at 06:30'],
    ['0 */6 * * *', 'Every 6 hours at minute 0'],
    ['weekly', 'On Sunday at 00:00'],
  ])('%s reads as "%s"', (expression, words) => {
    expect(describeCron(expression)).toBe(words)
  })
})

describe('nextRuns', () => {
  it('lists the next runs in UTC', () => {
    const runs = nextRuns(parseCron('0 3 * * *'), new Date('2026-11-21T10:00:00Z'), 3, 'UTC')
    expect(iso(runs)).toEqual(['2026-11-22T03:00:00.000Z', '2026-11-23T03:00:00.000Z', '2026-11-24T03:00:00.000Z'])
  })

  it('follows the wall clock of the zone across a DST change', () => {
    // Berlin moves from UTC+1 to UTC+2 on 2026-03-29: 03:00 local is 02:00Z, then 01:00Z.
    const runs = nextRuns(parseCron('0 3 * * *'), new Date('2026-03-28T00:00:00Z'), 2, 'Europe/Berlin')
    expect(iso(runs)).toEqual(['2026-03-28T02:00:00.000Z', '2026-03-29T01:00:00.000Z'])
  })

  it('skips a time that does not exist on the day clocks jump', () => {
    expect(instantOf({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Berlin')).toBeNull()
    const runs = nextRuns(parseCron('30 2 * * *'), new Date('2026-03-28T12:00:00Z'), 1, 'Europe/Berlin')
    expect(iso(runs)).toEqual(['2026-03-30T00:30:00.000Z'])
  })

  it('matches either day field when both are restricted, as cron does', () => {
    // The 13th of the month or any Friday, at noon.
    const runs = nextRuns(parseCron('0 12 13 * 5'), new Date('2026-11-01T00:00:00Z'), 3, 'UTC')
    expect(iso(runs)).toEqual(['2026-11-06T12:00:00.000Z', '2026-11-13T12:00:00.000Z', '2026-11-20T12:00:00.000Z'])
  })
})
