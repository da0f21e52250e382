// The one place where failed requests become sentences a person can act on.
// The server answers errors as {"error": Name, "detail": sentence}; the sentence is shown
// as is. Anything else (a proxy's HTML page, a dropped connection) gets a fitting sentence.

const FALLBACK_BY_STATUS: Record<number, string> = {
  400: 'The server could not use this request.',
  401: 'Your session has ended. Log in again.',
  403: 'You are not allowed to do this.',
  404: 'The server found nothing at this address.',
  405: 'The server does not allow this here.',
  409: 'This conflicts with the current state; reload and try again.',
  413: 'This is too large for the server.',
  422: 'Some values are not valid.',
  429: 'Too many requests. Wait a moment and try again.',
  500: 'Something went wrong on the server. Try again later.',
  502: 'The server cannot be reached right now (bad gateway).',
  503: 'The server is busy or starting. Try again in a moment.',
  504: 'The server took too long to answer.',
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly retryAfter: number | null

  constructor(status: number, code: string, message: string, retryAfter: number | null = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.retryAfter = retryAfter
  }
}

export const NETWORK_MESSAGE = 'Cannot reach the server. Check the connection and try again.'

export function fallbackMessage(status: number): string {
  return FALLBACK_BY_STATUS[status] ?? `The server answered with status ${status}.`
}

function retryAfterSeconds(response: Response): number | null {
  const header = response.headers.get('Retry-After')
  if (!header) return null
  const seconds = Number(header)
  return Number.isFinite(seconds) ? seconds : null
}

function isErrorBody(value: unknown): value is { error: string; detail: string } {
  if (typeof value !== 'object' || value === null) return false
  const body = value as Record<string, unknown>
  return typeof body.error === 'string' && typeof body.detail === 'string'
}

/** Reads an error answer into an ApiError, whatever the body holds. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const retryAfter = retryAfterSeconds(response)
  let body: unknown
  try {
    body = await response.clone().json()
  } catch {
    body = null
  }
  if (isErrorBody(body) && body.detail.trim()) {
    return new ApiError(response.status, body.error, withWait(body.detail, retryAfter), retryAfter)
  }
  return new ApiError(response.status, `HTTP${response.status}`,
    withWait(fallbackMessage(response.status), retryAfter), retryAfter)
}

function withWait(message: string, retryAfter: number | null): string {
  if (retryAfter === null || /\b(try again|retry|seconds?)\b/i.test(message)) return message
  return `${message} Try again in ${Math.max(1, Math.round(retryAfter))} s.`
}

/** A sentence for anything a request may throw. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof DOMException && error.name === 'AbortError') return 'The request was canceled.'
  if (error instanceof TypeError) return NETWORK_MESSAGE
  if (error instanceof Error && error.message) return error.message
  return 'Something went wrong.'
}
