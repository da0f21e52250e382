import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { session } from '@/api/client'
import { ApiError } from '@/api/errors'
import { TokenSession } from '@/api/session'
import type { UserPreferences } from '@/api/types'
import { NOTIFICATION_EVENTS } from '@/api/types'
import { dispatchJobMessage } from '@/realtime'
import { useAuthStore } from '@/stores/auth'
import { useNotifyStore } from '@/stores/notify'
import { showsNotification, usePrefsStore } from '@/stores/prefs'
import { fakeFetch, settle } from './helpers'

const pair = (token: string, expiresIn = 900) => ({ access_token: token, refresh_token: 'r', token_type: 'bearer', expires_in: expiresIn })
const me = { id: 1, username: 'alice', role: 'user' }
const mine = (changes: Partial<UserPreferences> = {}): UserPreferences => ({
  default_quality: null, default_priority: null, browser_notifications: true, browser_events: [...NOTIFICATION_EVENTS], ...changes,
})

beforeEach(() => {
  setActivePinia(createPinia())
  localStorage.clear()
})
afterEach(() => {
  session.clear()
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('token session', () => {
  it('refreshes before the access token expires, without waiting for a 401', async () => {
    vi.useFakeTimers()
    const { calls } = fakeFetch({ 'POST /api/v1/auth/refresh': { body: pair('second') } })
    const tokens = new TokenSession()
    tokens.set(pair('first', 60))
    await vi.advanceTimersByTimeAsync(29_000)
    expect(calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual(['POST /api/v1/auth/refresh'])
    expect(tokens.token).toBe('second')
    tokens.clear()
  })

  it('tries again later when the refresh could not reach the server', async () => {
    vi.useFakeTimers()
    let attempts = 0
    vi.stubGlobal('fetch', vi.fn(async () => {
      attempts += 1
      if (attempts === 1) throw new TypeError('Failed to fetch')
      return new Response(JSON.stringify(pair('second')), { status: 200, headers: { 'content-type': 'application/json' } })
    }))
    const tokens = new TokenSession()
    tokens.set(pair('first', 30))
    await vi.advanceTimersByTimeAsync(1)
    expect(attempts).toBe(1)
    await vi.advanceTimersByTimeAsync(15_000)
    expect(attempts).toBe(2)
    expect(tokens.token).toBe('second')
    tokens.clear()
  })
})

describe('auth store', () => {
  it('logs in, keeps the token in memory only and loads the person', async () => {
    fakeFetch({ 'POST /api/v1/auth/login': { body: pair('abc') }, 'GET /api/v1/auth/me': { body: me } })
    const auth = useAuthStore()
    await auth.login('alice', 'correct horse battery')
    expect(auth.loggedIn).toBe(true)
    expect(session.token).toBe('abc')
    expect(JSON.stringify({ ...localStorage })).not.toContain('abc')
  })

  it('ends the session when a timed refresh is refused', async () => {
    fakeFetch({
      'POST /api/v1/auth/login': { body: pair('abc', 30) }, 'GET /api/v1/auth/me': { body: me },
      'POST /api/v1/auth/refresh': { status: 401, body: { error: 'NotAuthenticated', detail: 'Log in again.' } },
    })
    const auth = useAuthStore()
    await auth.login('alice', 'correct horse battery')
    await settle(10)
    expect(auth.loggedIn).toBe(false)
    expect(session.token).toBeNull()
  })

  it('logs out on the server and forgets the session even if that fails', async () => {
    const { calls } = fakeFetch({
      'POST /api/v1/auth/login': { body: pair('abc') }, 'GET /api/v1/auth/me': { body: me },
      'POST /api/v1/auth/logout': { status: 503, body: { error: 'Unavailable', detail: 'Busy.' } },
    })
    const auth = useAuthStore()
    await auth.login('alice', 'correct horse battery')
    await expect(auth.logout()).rejects.toBeInstanceOf(ApiError)
    expect(calls.some((call) => call.url === '/api/v1/auth/logout')).toBe(true)
    expect(auth.loggedIn).toBe(false)
    expect(session.token).toBeNull()
  })
})

describe('prefs store', () => {
  it('takes the account defaults from the server and writes changes back', async () => {
    const { calls } = fakeFetch({
      'GET /api/v1/settings/me': { body: mine({ default_quality: '720', default_priority: 'high' }) },
      'PATCH /api/v1/settings/me': (call) => ({ body: mine({ ...(call.body as object) }) }),
    })
    const prefs = usePrefsStore()
    await prefs.loadAccount()
    expect(prefs.prefs.quality).toBe('720')
    expect(prefs.prefs.priority).toBe('high')
    await prefs.updateAccount({ browser_notifications: false })
    expect(calls.at(-1)).toEqual(expect.objectContaining({ method: 'PATCH', body: { browser_notifications: false } }))
    expect(prefs.account?.browser_notifications).toBe(false)
  })

  it('keeps the theme in this browser', () => {
    usePrefsStore().prefs.theme = 'dark'
    return settle().then(() => {
      expect(JSON.parse(localStorage.getItem('mediadl.prefs') ?? '{}').theme).toBe('dark')
    })
  })

  it('shows a notification only when the account wants it', () => {
    expect(showsNotification(null, 'download_failed')).toBe(true)
    expect(showsNotification(mine({ browser_notifications: false }), 'download_failed')).toBe(false)
    expect(showsNotification(mine({ browser_events: ['download_failed'] }), 'download_completed')).toBe(false)
    expect(showsNotification(mine({ browser_events: ['download_failed'] }), 'download_failed')).toBe(true)
    expect(showsNotification(mine({ browser_events: [] }), undefined)).toBe(true)
  })
})

describe('notify store and realtime notifications', () => {
  it('keeps at most five toasts and words errors', () => {
    const notify = useNotifyStore()
    for (let index = 0; index < 7; index += 1) notify.info(`n${index}`)
    expect(notify.toasts.map((toast) => toast.text)).toEqual(['n2', 'n3', 'n4', 'n5', 'n6'])
    notify.error(new TypeError('Failed to fetch'))
    expect(notify.toasts.at(-1)).toEqual(expect.objectContaining({ color: 'error', text: expect.stringContaining('Cannot reach the server') }))
    notify.dismiss(notify.toasts[0].id)
    expect(notify.toasts).toHaveLength(4)
  })

  it('honours the event filter of the account', () => {
    const prefs = usePrefsStore()
    prefs.account = mine({ browser_events: ['download_failed'] })
    const notify = useNotifyStore()
    dispatchJobMessage({ type: 'notification', data: { level: 'success', title: 'Done', message: 'a', event: 'download_completed' } })
    expect(notify.toasts).toHaveLength(0)
    dispatchJobMessage({ type: 'notification', data: { level: 'error', title: 'Failed', message: 'b', event: 'download_failed' } })
    expect(notify.toasts.map((toast) => toast.text)).toEqual(['Failed: b'])
    prefs.account = mine({ browser_notifications: false })
    dispatchJobMessage({ type: 'notification', data: { level: 'error', title: 'Failed', message: 'c', event: 'download_failed' } })
    expect(notify.toasts).toHaveLength(1)
  })
})
