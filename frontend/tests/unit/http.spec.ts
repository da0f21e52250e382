import { afterEach, describe, expect, it, vi } from 'vitest'
import { Http, withQuery } from '@/api/http'
import { TokenSession } from '@/api/session'
import { fakeFetch } from './helpers'

afterEach(() => vi.unstubAllGlobals())

const pair = (token: string) => ({ access_token: token, refresh_token: 'r', token_type: 'bearer', expires_in: 900 })

describe('Http', () => {
  it('sends the bearer token and the CSRF header', async () => {
    const { calls } = fakeFetch({ 'GET /api/v1/auth/me': { body: { id: 1 } } })
    const session = new TokenSession()
    session.set(pair('first'))
    await new Http(session).get('/api/v1/auth/me')
    expect(calls[0].headers.Authorization).toBe('Bearer first')
    expect(calls[0].headers['X-Requested-With']).toBe('mediadl')
  })

  it('refreshes once on 401 and repeats the request with the new token', async () => {
    const { calls } = fakeFetch({
      'GET /api/v1/queue': (call) => (call.headers.Authorization === 'Bearer second' ? { body: { items: [] } } : { status: 401, body: { error: 'NotAuthenticated', detail: 'Expired.' } }),
      'POST /api/v1/auth/refresh': { body: pair('second') },
    })
    const session = new TokenSession()
    session.set(pair('first'))
    const answer = await new Http(session).get<{ items: unknown[] }>('/api/v1/queue')
    expect(answer.items).toEqual([])
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual(['GET /api/v1/queue', 'POST /api/v1/auth/refresh', 'GET /api/v1/queue'])
    expect(calls[1].headers['X-Requested-With']).toBe('mediadl')
  })

  it('ends the session when the refresh is refused', async () => {
    fakeFetch({
      'GET /api/v1/queue': { status: 401, body: { error: 'NotAuthenticated', detail: 'Log in again.' } },
      'POST /api/v1/auth/refresh': { status: 401, body: { error: 'NotAuthenticated', detail: 'Reused.' } },
    })
    const session = new TokenSession()
    session.set(pair('first'))
    const http = new Http(session)
    const ended = vi.fn()
    http.onSessionEnded = ended
    await expect(http.get('/api/v1/queue')).rejects.toThrow('Log in again.')
    expect(ended).toHaveBeenCalledOnce()
    expect(session.token).toBeNull()
  })

  it('leaves empty filters out of the query string', () => {
    expect(withQuery('/x', { a: 'one', b: '', c: undefined, d: null, e: 0, f: ['p', 'q'] })).toBe('/x?a=one&e=0&f=p&f=q')
    expect(withQuery('/x', {})).toBe('/x')
  })
})

describe('TokenSession', () => {
  it('shares one refresh between callers that ask at the same time', async () => {
    const { calls } = fakeFetch({ 'POST /api/v1/auth/refresh': { body: pair('new') } })
    const session = new TokenSession()
    const results = await Promise.all([session.refresh(), session.refresh(), session.refresh()])
    expect(results).toEqual([true, true, true])
    expect(calls).toHaveLength(1)
    expect(session.token).toBe('new')
  })

  it('asks for a refresh shortly before the token lapses', () => {
    const session = new TokenSession()
    session.set({ access_token: 't', expires_in: 60 }, 0)
    expect(session.isExpiring(10_000)).toBe(false)
    expect(session.isExpiring(40_000)).toBe(true)
  })
})
