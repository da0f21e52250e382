// Where the player, thumbnails and the Download link find a library file. <img>, <video>
// and plain links cannot send an Authorization header; the server accepts its HttpOnly
// media cookie (SameSite=Strict, path /api/v1/downloads, set at login and renewed by every
// token refresh) on the file and thumbnail routes instead, so elements point straight at
// them: the browser streams, and seeks with Range requests, by itself.
import type { Download } from './types'

/** The file for the player: shown inline rather than offered as an attachment. */
export function playbackUrl(item: Download): string {
  return `${item.file_url}?inline=true`
}

/** The name a saved file gets on this device: the last part of its library path. */
export function saveName(item: Download): string {
  return item.filename.split('/').pop() || 'download'
}
