// Links typed, pasted or shared into mediadl.

const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/i

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text.trim())
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}

/** The link inside what a phone's share sheet sends (some apps put it in the text). */
export function sharedLink(fields: { url?: unknown; text?: unknown; title?: unknown }): string | null {
  for (const value of [fields.url, fields.text, fields.title]) {
    if (typeof value !== 'string') continue
    if (isHttpUrl(value)) return value.trim()
    const found = value.match(URL_IN_TEXT)?.[0]
    if (found && isHttpUrl(found)) return found.replace(/[),.;!?]+$/, '')
  }
  return null
}

/**
 * A bookmarklet that opens this server's queue with the current page's address. It carries
 * no token: the queue page asks for a login if needed.
 */
export function bookmarkletFor(origin: string): string {
  const target = JSON.stringify(`${origin.replace(/\/+$/, '')}/queue?url=`)
  return `javascript:(function(){window.open(${target}+encodeURIComponent(location.href),'_blank','noopener');})();`
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return ''
  }
}
