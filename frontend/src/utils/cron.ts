// A cron helper for the schedule editor: reads a 5-field expression (or a preset), says it in
// words and lists the next runs in a time zone. The server stays the authority on when a
// schedule runs; this only lets a person check what they typed.

export const PRESETS: Record<string, string> = {
  hourly: '0 * * * *',
  daily: '0 0 * * *',
  weekly: '0 0 * * 0',
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
const WEEKDAY_WORDS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const MONTH_WORDS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December']

interface FieldRule {
  name: string
  min: number
  max: number
  names?: string[]
  namesStartAt?: number
}

const FIELDS: FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesStartAt: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES, namesStartAt: 0 },
]

export class CronError extends Error {}

export interface CronSpec {
  minutes: number[]
  hours: number[]
  days: number[]
  months: number[]
  weekdays: number[]
  dayOfMonthAny: boolean
  dayOfWeekAny: boolean
  fields: string[]
}

export function expandPreset(expression: string): string {
  const trimmed = expression.trim().toLowerCase().replace(/^@/, '')
  return PRESETS[trimmed] ?? expression.trim()
}

export function parseCron(expression: string): CronSpec {
  const fields = expandPreset(expression).split(/\s+/).filter(Boolean)
  if (fields.length !== 5) {
    throw new CronError('A cron expression has 5 fields: minute hour day-of-month month day-of-week.')
  }
  const [minutes, hours, days, months, weekdays] = fields.map((field, index) => parseField(field, FIELDS[index]))
  return {
    minutes, hours, days, months,
    weekdays: [...new Set(weekdays.map((day) => day % 7))].sort((a, b) => a - b),
    dayOfMonthAny: fields[2] === '*' || fields[2] === '?',
    dayOfWeekAny: fields[4] === '*' || fields[4] === '?',
    fields,
  }
}

function parseField(field: string, rule: FieldRule): number[] {
  const values = new Set<number>()
  for (const part of field.split(',')) {
    for (const value of parsePart(part, rule)) values.add(value)
  }
  return [...values].sort((a, b) => a - b)
}

function parsePart(part: string, rule: FieldRule): number[] {
  const [range, stepText] = part.split('/')
  const step = stepText === undefined ? 1 : Number(stepText)
  if (!Number.isInteger(step) || step < 1) throw new CronError(`The step in the ${rule.name} field must be a whole number of at least 1.`)
  let [start, end] = [rule.min, rule.max]
  if (range !== '*' && range !== '?') {
    const [first, last] = range.split('-')
    start = valueOf(first, rule)
    end = last === undefined ? (stepText === undefined ? start : rule.max) : valueOf(last, rule)
  }
  if (start > end) throw new CronError(`The ${rule.name} range ${range} runs backwards.`)
  const values: number[] = []
  for (let value = start; value <= end; value += step) values.push(value)
  return values
}

function valueOf(text: string, rule: FieldRule): number {
  const named = rule.names?.indexOf(text.toLowerCase()) ?? -1
  const value = named >= 0 ? named + (rule.namesStartAt ?? 0) : Number(text)
  if (!/^\w+$/.test(text) || !Number.isInteger(value) || value < rule.min || value > rule.max) {
    throw new CronError(`The ${rule.name} field must be between ${rule.min} and ${rule.max} (got "${text}").`)
  }
  return value
}

// --- time zones ------------------------------------------------------------------------

interface WallClock {
  year: number
  month: number
  day: number
  hour: number
  minute: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric',
    })
    formatters.set(timeZone, formatter)
  }
  return formatter
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone)
    return true
  } catch {
    return false
  }
}

export function wallClock(instant: number, timeZone: string): WallClock {
  const parts = Object.fromEntries(formatterFor(timeZone).formatToParts(new Date(instant))
    .map((part) => [part.type, Number(part.value)]))
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute }
}

function asUtc(clock: WallClock): number {
  return Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute)
}

/** The instant a wall-clock time happens in a zone; null inside a DST gap. */
export function instantOf(clock: WallClock, timeZone: string): number | null {
  const naive = asUtc(clock)
  let instant = naive - (asUtc(wallClock(naive, timeZone)) - naive)
  instant = naive - (asUtc(wallClock(instant, timeZone)) - instant)
  return asUtc(wallClock(instant, timeZone)) === naive ? instant : null
}

// --- next runs ---------------------------------------------------------------------------

const DAY_MS = 86_400_000
const SEARCH_DAYS = 366 * 5

function dayMatches(spec: CronSpec, date: Date): boolean {
  if (!spec.months.includes(date.getUTCMonth() + 1)) return false
  const byDay = spec.days.includes(date.getUTCDate())
  const byWeekday = spec.weekdays.includes(date.getUTCDay())
  // Cron's rule: when both day fields are restricted, either one may match.
  if (spec.dayOfMonthAny) return byWeekday
  if (spec.dayOfWeekAny) return byDay
  return byDay || byWeekday
}

export function nextRuns(spec: CronSpec, from: Date, count: number, timeZone = 'UTC'): Date[] {
  const runs: Date[] = []
  const start = wallClock(from.getTime(), timeZone)
  const firstDay = Date.UTC(start.year, start.month - 1, start.day)
  for (let offset = 0; offset < SEARCH_DAYS && runs.length < count; offset += 1) {
    const date = new Date(firstDay + offset * DAY_MS)
    if (!dayMatches(spec, date)) continue
    for (const instant of runsOnDay(spec, date, timeZone)) {
      if (instant > from.getTime() && runs.length < count) runs.push(new Date(instant))
    }
  }
  return runs
}

function runsOnDay(spec: CronSpec, date: Date, timeZone: string): number[] {
  const day = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }
  const instants: number[] = []
  for (const hour of spec.hours) {
    for (const minute of spec.minutes) {
      const instant = instantOf({ ...day, hour, minute }, timeZone)
      if (instant !== null) instants.push(instant)
    }
  }
  return instants
}

// --- in words ----------------------------------------------------------------------------

function listWords(words: string[]): string {
  if (words.length <= 1) return words.join('')
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

function clock(hour: number, minute: number): string {
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`
}

function stepOf(field: string): number | null {
  const match = field.match(/^\*\/(\d+)$/)
  return match ? Number(match[1]) : null
}

function timeWords(spec: CronSpec): string {
  const [minuteField, hourField] = spec.fields
  const minuteStep = stepOf(minuteField)
  if (minuteField === '*') return hourField === '*' ? 'every minute' : `every minute during hour ${listWords(spec.hours.map(String))}`
  if (minuteStep && hourField === '*') return `every ${minuteStep} minutes`
  const hourStep = stepOf(hourField)
  if (spec.minutes.length === 1 && hourField === '*') {
    return spec.minutes[0] === 0 ? 'every hour, on the hour' : `every hour at minute ${spec.minutes[0]}`
  }
  if (spec.minutes.length === 1 && hourStep) return `every ${hourStep} hours at minute ${spec.minutes[0]}`
  if (spec.hours.length * spec.minutes.length <= 6) {
    return `at ${listWords(spec.hours.flatMap((hour) => spec.minutes.map((minute) => clock(hour, minute))))}`
  }
  return `at minute ${listWords(spec.minutes.map(String))} of hour ${listWords(spec.hours.map(String))}`
}

function dayWords(spec: CronSpec): string {
  const weekdays = spec.weekdays
  const weekdayText = weekdays.join(',') === '1,2,3,4,5' ? 'on weekdays'
    : weekdays.join(',') === '0,6' ? 'on weekends'
      : `on ${listWords(weekdays.map((day) => WEEKDAY_WORDS[day]))}`
  const dayText = `on day ${listWords(spec.days.map(String))} of the month`
  if (spec.dayOfMonthAny && spec.dayOfWeekAny) return 'every day'
  if (spec.dayOfMonthAny) return weekdayText
  if (spec.dayOfWeekAny) return dayText
  return `${dayText} or ${weekdayText}`
}

function monthWords(spec: CronSpec): string {
  if (spec.fields[3] === '*') return ''
  return ` in ${listWords(spec.months.map((month) => MONTH_WORDS[month - 1]))}`
}

export function describeCron(expression: string): string {
  const spec = parseCron(expression)
  const time = timeWords(spec)
  const days = dayWords(spec)
  const text = time.startsWith('at ') ? `${days} ${time}${monthWords(spec)}`
    : days === 'every day' ? `${time}${monthWords(spec)}` : `${time}, ${days}${monthWords(spec)}`
  return text.charAt(0).toUpperCase() + text.slice(1)
}
