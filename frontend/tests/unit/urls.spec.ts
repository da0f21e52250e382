import { describe, expect, it } from 'vitest'
import { bookmarkletFor, isHttpUrl, sharedLink } from '@/utils/urls'

describe('links', () => {
  it('accepts only http and https', () => {
    expect(isHttpUrl('https://example.org/watch?v=1')).toBe(true)
    expect(isHttpUrl('javascript:alert(1)')).toBe(false)
    expect(isHttpUrl('file:///etc/passwd')).toBe(false)
    expect(isHttpUrl('not a link')).toBe(false)
  })

  it('finds the link a share sheet hides in the text', () => {
    expect(sharedLink({ url: 'https://a.example/v/1' })).toBe('https://a.example/v/1')
    expect(sharedLink({ text: 'Look at this! https://a.example/v/2.' })).toBe('https://a.example/v/2')
    expect(sharedLink({ title: 'Just words', text: 'no link' })).toBeNull()
  })

  it('builds a bookmarklet that carries the page address and no secret', () => {
    const code = bookmarkletFor('https://media.example:8443/')
    expect(code.startsWith('javascript:')).toBe(true)
    expect(code).toContain('"https://media.example:8443/queue?url="+encodeURIComponent(location.href)')
    expect(code).not.toMatch(/token|Bearer|password/i)
  })
})
