// The server's settings as form fields, whatever groups it has: nested objects become
// dotted paths ("jobs.max_attempts"), and only changed values are sent back (nested again).
export type SettingValue = string | number | boolean | string[] | null

export interface SettingField {
  path: string
  label: string
  type: 'boolean' | 'number' | 'list' | 'text' | 'choice'
  value: SettingValue
  readonly?: boolean
  choices?: string[]
}

const HIDDEN = /secret|password|token|key$/i
// Lists the server adds about its settings, not settings themselves.
const META_KEYS = new Set(['read_only', 'overridden'])
const CHOICES: Record<string, string[]> = {
  default_priority: ['high', 'normal', 'low'],
  default_quality: ['best', '2160', '1440', '1080', '720', '480', '360', 'audio'],
}

function typeOf(value: unknown): SettingField['type'] | null {
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return 'number'
  if (Array.isArray(value)) return value.every((item) => typeof item === 'string') ? 'list' : null
  if (typeof value === 'string' || value === null) return 'text'
  return null
}

export function labelOf(path: string): string {
  const text = path.split('.').map((part) => part.replace(/_/g, ' ')).join(' › ')
  return text.charAt(0).toUpperCase() + text.slice(1)
}

export function flattenSettings(source: Record<string, unknown>, prefix = '',
  readOnly: string[] = readOnlyOf(source)): SettingField[] {
  const fields: SettingField[] = []
  for (const [key, value] of Object.entries(source)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (HIDDEN.test(key) || (!prefix && META_KEYS.has(key))) continue
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      fields.push(...flattenSettings(value as Record<string, unknown>, path, readOnly))
      continue
    }
    const type = CHOICES[key] ? 'choice' : typeOf(value)
    if (!type) continue
    fields.push({ path, label: labelOf(path), type, value: value as SettingValue,
      readonly: readOnly.includes(path), choices: CHOICES[key] })
  }
  return fields
}

function readOnlyOf(source: Record<string, unknown>): string[] {
  return Array.isArray(source.read_only) ? source.read_only.map(String) : []
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

export function changedSettings(fields: SettingField[], draft: Record<string, SettingValue>): Record<string, unknown> {
  const changes: Record<string, unknown> = {}
  for (const field of fields) {
    let value = draft[field.path]
    if (field.readonly || same(value, field.value)) continue
    if (field.type === 'number' && (value === '' || value === null)) value = null
    let node = changes
    const parts = field.path.split('.')
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>
    node[parts[parts.length - 1]] = value
  }
  return changes
}
