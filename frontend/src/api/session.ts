// The access token lives in memory only; the refresh token is an HttpOnly cookie the
// script never sees. A reload therefore starts with a refresh, and an XSS bug could not
// carry a long-lived credential away.
import type { TokenPair } from './types'

export const REQUESTED_WITH = { 'X-Requested-With': 'mediadl' }
const REFRESH_PATH = '/api/v1/auth/refresh'
const REFRESH_LOCK = 'mediadl-token-refresh'
// Refresh this long before expiry so a request never leaves with a token about to lapse.
const EARLY_REFRESH_MS = 30_000
// After a refresh that could not reach the server, try again this much later.
const RETRY_REFRESH_MS = 15_000

type Fetch = typeof fetch

export class TokenSession {
  private accessToken: string | null = null
  private expiresAt = 0
  private refreshing: Promise<boolean> | null = null
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly listeners = new Set<(token: string | null) => void>()

  constructor(private readonly fetchImpl: Fetch = (...args) => fetch(...args)) {}

  get token(): string | null {
    return this.accessToken
  }

  set(pair: Pick<TokenPair, 'access_token' | 'expires_in'>, now = Date.now()): void {
    this.accessToken = pair.access_token
    this.expiresAt = now + pair.expires_in * 1000
    this.scheduleRefresh(this.expiresAt - now - EARLY_REFRESH_MS)
    this.notify()
  }

  clear(): void {
    clearTimeout(this.timer)
    this.accessToken = null
    this.expiresAt = 0
    this.notify()
  }

  // Refreshed before expiry, not only after a 401: the refresh also renews the media
  // cookie, and a page that only plays a video sends no API request that would notice.
  private scheduleRefresh(delay: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.refresh().catch(() => this.scheduleRefresh(RETRY_REFRESH_MS))
    }, Math.max(0, delay))
  }

  isExpiring(now = Date.now()): boolean {
    return this.accessToken !== null && this.expiresAt - now < EARLY_REFRESH_MS
  }

  onChange(listener: (token: string | null) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Swap the refresh cookie for a new pair; false when the session is over. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.refreshAcrossTabs().finally(() => {
      this.refreshing = null
    })
    return this.refreshing
  }

  // Refresh tokens work once: two tabs refreshing with the same cookie would look like a
  // replay and end the session. The lock makes tabs take turns; the second one then sends
  // the cookie the first one received.
  private refreshAcrossTabs(): Promise<boolean> {
    const locks = globalThis.navigator?.locks
    const attempt = () => this.refreshOnce()
    return locks ? locks.request(REFRESH_LOCK, attempt) : attempt()
  }

  private async refreshOnce(): Promise<boolean> {
    const response = await this.fetchImpl(REFRESH_PATH, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', ...REQUESTED_WITH },
    })
    if (!response.ok) {
      this.clear()
      return false
    }
    this.set((await response.json()) as TokenPair)
    return true
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.accessToken)
  }
}
