// Thumbnails, playback and saving of library files. <img>, <video> and plain links cannot
// send an Authorization header, so unless the server also accepts a cookie or a query
// token on its file routes, files are fetched with the header and shown as blob: URLs
// (allowed by the app's CSP; nothing from another origin is ever loaded).
import type { MediaAuth } from './capabilities'
import { http, session } from './client'
import type { Download } from './types'

const THUMBNAIL_CACHE_SIZE = 400
const THUMBNAIL_CONCURRENCY = 6
/** Above this a whole-file fetch for playback would cost too much memory. */
export const MAX_BUFFERED_PLAYBACK = 1024 * 1024 * 1024

const thumbnails = new Map<string, Promise<string>>()
let active = 0
const waiting: (() => void)[] = []

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (active >= THUMBNAIL_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve))
  active += 1
  try {
    return await work()
  } finally {
    active -= 1
    waiting.shift()?.()
  }
}

async function fetchObjectUrl(path: string): Promise<string> {
  const response = await http.send(path)
  return URL.createObjectURL(await response.blob())
}

function evictOldThumbnails(): void {
  while (thumbnails.size > THUMBNAIL_CACHE_SIZE) {
    const [oldest, url] = thumbnails.entries().next().value as [string, Promise<string>]
    thumbnails.delete(oldest)
    void url.then((objectUrl) => URL.revokeObjectURL(objectUrl), () => undefined)
  }
}

/** An object URL for a thumbnail, cached (least recently used goes first). */
export function thumbnailUrl(path: string): Promise<string> {
  let cached = thumbnails.get(path)
  if (cached) {
    thumbnails.delete(path)
  } else {
    cached = withSlot(() => fetchObjectUrl(path))
    cached.catch(() => thumbnails.delete(path))
  }
  thumbnails.set(path, cached)
  evictOldThumbnails()
  return cached
}

export function directUrl(path: string, auth: MediaAuth, extra: Record<string, string> = {}): string | null {
  if (auth.kind === 'header') return null
  const params = new URLSearchParams(extra)
  if (auth.kind === 'query' && session.token) params.set(auth.name, session.token)
  const query = params.toString()
  return query ? `${path}?${query}` : path
}

export interface Playback {
  url: string
  /** Call when the player closes: frees a buffered file. */
  release: () => void
}

/** A URL the player can use. Streams when the server allows it, else buffers the file. */
export async function playbackFor(item: Download, auth: MediaAuth,
  onProgress: (fraction: number) => void = () => {}): Promise<Playback> {
  const direct = directUrl(item.file_url, auth, { inline: 'true' })
  if (direct) return { url: direct, release: () => {} }
  if (item.size > MAX_BUFFERED_PLAYBACK) {
    throw new Error('This file is too large to play in the browser here; download it instead.')
  }
  const blob = await fetchWithProgress(`${item.file_url}?inline=true`, item.size, onProgress)
  const url = URL.createObjectURL(blob)
  return { url, release: () => URL.revokeObjectURL(url) }
}

async function fetchWithProgress(path: string, size: number, onProgress: (fraction: number) => void): Promise<Blob> {
  const response = await http.send(path)
  const type = response.headers.get('content-type') ?? 'application/octet-stream'
  if (!response.body) return response.blob()
  const reader = response.body.getReader()
  const chunks: BlobPart[] = []
  let received = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value as Uint8Array<ArrayBuffer>)
    received += value.byteLength
    if (size > 0) onProgress(Math.min(1, received / size))
  }
  return new Blob(chunks, { type })
}

/** Save a library file on this device under its own name. */
export async function saveFile(item: Download, auth: MediaAuth): Promise<void> {
  const direct = directUrl(item.file_url, auth)
  const href = direct ?? URL.createObjectURL(await (await http.send(item.file_url)).blob())
  const link = document.createElement('a')
  link.href = href
  link.download = item.filename.split('/').pop() || 'download'
  link.rel = 'noopener'
  document.body.append(link)
  link.click()
  link.remove()
  if (!direct) setTimeout(() => URL.revokeObjectURL(href), 60_000)
}
