// Every API call goes through here: JSON in and out, the bearer token, one refresh and
// retry on 401, and error answers turned into ApiError with a readable message.
import { ApiError, errorFromResponse } from './errors'
import { REQUESTED_WITH, TokenSession } from './session'

export type QueryValue = string | number | boolean | null | undefined
export type Query = Record<string, QueryValue | QueryValue[]>

export interface RequestOptions {
  method?: string
  query?: Query
  body?: unknown
  form?: FormData
  signal?: AbortSignal
  /** Send no token (login). */
  anonymous?: boolean
}

type Fetch = typeof fetch

export function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== '') params.append(key, String(item))
    }
  }
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

export class Http {
  /** Called once when a request finds the session over (the refresh was refused). */
  onSessionEnded: () => void = () => {}

  constructor(
    readonly session: TokenSession,
    private readonly fetchImpl: Fetch = (...args) => fetch(...args),
  ) {}

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(path, options)
    if (response.status === 204 || response.headers.get('content-length') === '0') {
      return undefined as T
    }
    const type = response.headers.get('content-type') ?? ''
    return (type.includes('json') ? await response.json() : await response.text()) as T
  }

  /** The raw answer of a successful request (files, streams). */
  async send(path: string, options: RequestOptions = {}): Promise<Response> {
    if (!options.anonymous && this.session.isExpiring()) await this.session.refresh()
    let response = await this.fetchOnce(path, options)
    if (response.status === 401 && !options.anonymous && this.session.token !== null) {
      response = await this.retryAfterRefresh(path, options, response)
    }
    if (!response.ok) throw await errorFromResponse(response)
    return response
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>(path, { query, signal })
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>(path, { method: 'POST', body })
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, { method: 'PATCH', body })
  }

  delete<T = void>(path: string, query?: Query): Promise<T> {
    return this.request<T>(path, { method: 'DELETE', query })
  }

  private async retryAfterRefresh(path: string, options: RequestOptions,
    first: Response): Promise<Response> {
    if (await this.session.refresh()) return this.fetchOnce(path, options)
    this.onSessionEnded()
    return first
  }

  private fetchOnce(path: string, options: RequestOptions): Promise<Response> {
    return this.fetchImpl(withQuery(path, options.query), {
      method: options.method ?? 'GET',
      headers: this.headers(options),
      body: options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      credentials: 'same-origin',
      signal: options.signal,
    })
  }

  private headers(options: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'application/json', ...REQUESTED_WITH }
    if (options.body !== undefined && !options.form) headers['Content-Type'] = 'application/json'
    const token = this.session.token
    if (token && !options.anonymous) headers.Authorization = `Bearer ${token}`
    return headers
  }
}

export { ApiError }
