import { describe, expect, it } from 'vitest'
import { ApiError, NETWORK_MESSAGE, describeError, errorFromResponse } from '@/api/errors'

function answer(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers })
}

describe('errorFromResponse', () => {
  it('shows the server sentence of an {error, detail} answer', async () => {
    const error = await errorFromResponse(answer(400, JSON.stringify({ error: 'BadRequest', detail: 'This link cannot be read: 404.' })))
    expect(error).toBeInstanceOf(ApiError)
    expect(error.message).toBe('This link cannot be read: 404.')
    expect(error.code).toBe('BadRequest')
    expect(error.status).toBe(400)
  })

  it('gives a readable sentence when a proxy answers with HTML', async () => {
    const error = await errorFromResponse(answer(502, '<html><body>Bad Gateway</body></html>'))
    expect(error.message).toMatch(/cannot be reached/)
    expect(error.message).not.toContain('<')
  })

  it('tells how long to wait after a 429', async () => {
    const error = await errorFromResponse(answer(429, JSON.stringify({ error: 'TooManyRequests', detail: 'Too many tickets are waiting.' }), { 'Retry-After': '7' }))
    expect(error.retryAfter).toBe(7)
    expect(error.message).toBe('Too many tickets are waiting. Try again in 7 s.')
  })
})

describe('describeError', () => {
  it('turns a failed fetch into a network sentence', () => {
    expect(describeError(new TypeError('Failed to fetch'))).toBe(NETWORK_MESSAGE)
  })

  it('shows the server sentence for a 404 and a 405', async () => {
    const missing = await errorFromResponse(new Response(JSON.stringify({ error: 'NotFound', detail: 'There is no such job in your queue.' }), { status: 404 }))
    expect(describeError(missing)).toBe('There is no such job in your queue.')
    const refused = await errorFromResponse(new Response(JSON.stringify({ error: 'MethodNotAllowed', detail: 'Completed jobs cannot be paused.' }), { status: 405 }))
    expect(describeError(refused)).toBe('Completed jobs cannot be paused.')
  })

  it('does not call a bare 404 a missing feature', async () => {
    const error = await errorFromResponse(new Response('<html>nope</html>', { status: 404 }))
    expect(error.message).not.toMatch(/not available|yet/i)
  })
})
