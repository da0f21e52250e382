// The shapes of the HTTP contract (API.md). Extra fields the server adds are allowed.

export type JobStatus = 'queued' | 'paused' | 'running' | 'completed' | 'failed' | 'canceled'
export type Priority = 'high' | 'normal' | 'low'
export type Quality = 'best' | '2160' | '1440' | '1080' | '720' | '480' | '360' | 'audio'
export type Role = 'admin' | 'user'

export interface Page<T> {
  items: T[]
  total: number
  page: number
  page_size: number
}

export interface TokenPair {
  access_token: string
  refresh_token: string
  token_type: 'bearer'
  expires_in: number
}

export interface Me {
  id: number
  username: string
  email: string | null
  role: Role
}

export interface User extends Me {
  is_active: boolean
  created_at: string
}

export interface Progress {
  percent: number | null
  downloaded_bytes: number
  total_bytes: number | null
  speed_bps: number | null
  eta_s: number | null
}

export interface JobOptions {
  audio_format?: 'best' | 'mp3' | 'm4a' | 'opus' | 'flac' | 'wav'
  container?: 'auto' | 'mp4' | 'mkv' | 'webm'
  subtitles?: boolean
  embed_metadata?: boolean
  embed_thumbnail?: boolean
}

export interface Job {
  id: number
  url: string
  platform: string
  engine: string
  kind: string | null
  title: string | null
  source: string | null
  status: JobStatus
  priority: Priority
  position: number
  quality: string
  options: JobOptions
  progress: Progress
  attempts: number
  error: string | null
  parent_id: number | null
  owner_id: number
  schedule_id: number | null
  created_at: string
  updated_at?: string
  started_at: string | null
  finished_at: string | null
  /** Not started before this moment (ISO 8601 UTC); null = as soon as a worker is free. */
  not_before?: string | null
  download_ids: number[]
}

export interface EnqueueRequest {
  url: string
  quality?: Quality
  priority?: Priority
  paused?: boolean
  options?: JobOptions
  not_before?: string
}

export type QueueStats = Record<JobStatus, number>

export interface QueueQuery {
  status?: string
  platform?: string
  q?: string
  parent_id?: number
  sort?: 'priority' | 'created_at' | 'updated_at' | 'platform' | 'status'
  order?: 'asc' | 'desc'
  page?: number
  page_size?: number
}

export type BulkQueueAction = 'delete' | 'retry' | 'pause' | 'resume' | 'priority'

export interface MediaFormat {
  format_id: string
  ext: string | null
  width: number | null
  height: number | null
  fps: number | null
  vcodec: string | null
  acodec: string | null
  filesize: number | null
  tbr: number | null
  note: string | null
}

export interface ParseResult {
  url: string
  platform: string
  engine: string
  kind: string
  title: string | null
  uploader: string | null
  duration: number | null
  thumbnail: string | null
  entry_count: number | null
  formats: MediaFormat[]
  qualities: string[]
  entries: { url: string; title: string | null; duration: number | null }[]
  description?: string | null
}

export interface Download {
  id: number
  job_id: number | null
  url: string
  platform: string
  source: string | null
  title: string | null
  description: string | null
  kind: string
  filename: string
  size: number
  sha256: string
  mime: string | null
  width: number | null
  height: number | null
  duration: number | null
  file_url: string
  thumbnail_url: string
  created_at: string | null
  metadata: Record<string, unknown>
}

export interface LibraryQuery {
  platform?: string
  source?: string
  kind?: string
  q?: string
  date_from?: string
  date_to?: string
  min_size?: number
  max_size?: number
  sort?: 'created_at' | 'title' | 'size' | 'duration' | 'relevance'
  order?: 'asc' | 'desc'
  page?: number
  page_size?: number
}

export interface GroupStats {
  count: number
  size: number
}

export interface DownloadStats {
  count: number
  total_size: number
  by_kind: Record<string, GroupStats>
  by_platform: Record<string, GroupStats>
}

export interface DuplicateGroup {
  kind?: 'exact' | 'similar'
  total_size?: number
  items: Download[]
}

export interface Schedule {
  id: number
  name: string
  url: string
  platform: string | null
  content_types: string[] | null
  cron: string
  timezone: string
  enabled: boolean
  max_items_per_run: number | null
  date_from: string | null
  date_to: string | null
  quality: string | null
  options: JobOptions | null
  last_run_at: string | null
  next_run_at: string | null
  last_status: string | null
  priority?: Priority | null
  /** Why it does not run as planned: active, running, paused (rate-limited) or disabled. */
  state?: 'active' | 'running' | 'paused' | 'disabled'
  paused_until?: string | null
  pause_reason?: string | null
  disabled_reason?: string | null
}

export type ScheduleInput = Partial<Omit<Schedule, 'id' | 'last_run_at' | 'next_run_at' | 'last_status' | 'state'
  | 'paused_until' | 'pause_reason' | 'disabled_reason'>>

export interface ScheduleRun {
  id: number
  schedule_id: number
  started_at: string | null
  finished_at: string | null
  status: string
  found: number
  new: number
  queued: number
  failed: number
  error: string | null
  trigger?: string
  not_modified?: boolean
  duration_s?: number | null
}

export interface PlatformStatus {
  state: 'ok' | 'warning' | 'error'
  last_success_at: string | null
  error_count: number
  last_error?: string | null
  throttled?: boolean
  throttle_reason?: string | null
}

export interface Platform {
  name: string
  label: string
  engine: string
  enabled: boolean
  content_types: string[]
  status: PlatformStatus
}

export interface PlatformSettings {
  name: string
  label?: string
  enabled: boolean
  default_quality?: string | null
  min_request_interval_s?: number
  max_concurrent_jobs?: number | null
  limit_per_site?: boolean
  proxy?: string | null
  has_cookies?: boolean
  cookie_count?: number
  cookie_domains?: string[]
  cookies_updated_at?: string | null
  needs_cookies?: boolean
  cookies_note?: string
}

export interface LogRecord {
  timestamp: string
  level: string
  module: string
  message: string
  job_id?: number | null
}

export interface LogQuery {
  level?: string
  module?: string
  job_id?: number
  q?: string
  since?: string
  until?: string
  page?: number
  page_size?: number
}

/** GET /api/v1/logs: newest first. */
export interface LogPage {
  items: LogRecord[]
  total: number
  page: number
  page_size: number
}

export interface NotificationChannel {
  id: number
  name: string
  url_preview?: string
  events: string[]
  enabled: boolean
  last_sent_at?: string | null
  last_error?: string | null
}

export interface NewNotificationChannel {
  name: string
  url: string
  events: string[]
  enabled: boolean
}

export interface ApiToken {
  id: number
  name: string
  prefix?: string
  created_at?: string
  expires_at?: string | null
  last_used_at?: string | null
}

export interface NewApiToken extends ApiToken {
  token: string
}

export interface SessionInfo {
  id: number
  created_at?: string
  last_used_at?: string | null
  expires_at?: string
  client_address?: string | null
  user_agent?: string | null
  current?: boolean
}

export interface TotpStatus {
  enabled: boolean
  pending: boolean
  recovery_codes_left: number
}

export interface TotpSetup {
  secret: string
  provisioning_uri: string
  recovery_codes?: string[]
}

export interface PeriodTotal {
  downloads: number
  bytes: number
}

/** GET /api/v1/stats/overview (stats/schemas.py Overview). */
export interface StatsOverview {
  downloads: { today: PeriodTotal; week: PeriodTotal; month: PeriodTotal; total: PeriodTotal }
  queue: QueueStats
  /** Completed / (completed + failed) as a fraction; null before anything finished. */
  success_rate: number | null
  storage: {
    used_bytes: number
    free_bytes: number
    disk_total_bytes: number
    disk_free_bytes: number
    limit_bytes: number
    quota_bytes: number | null
    low: boolean
  }
  next_scheduled_run: string | null
}

export interface TimelinePoint {
  period?: string
  date?: string
  downloads?: number
  count?: number
  bytes?: number
  failed_jobs?: number
  platforms?: Record<string, number>
}

export interface RankedCount {
  name?: string
  source?: string | null
  platform?: string
  downloads?: number
  count?: number
  bytes?: number
}

export interface StorageStats {
  disk?: { total_bytes: number; used_bytes: number; free_bytes: number }
  library_bytes?: number
  limit_bytes?: number
  low?: boolean
  by_platform?: { name: string; downloads: number; bytes: number }[]
}

export interface WsTicket {
  ticket: string
  expires_in: number
}

export const NOTIFICATION_EVENTS = ['download_completed', 'download_failed', 'schedule_run_finished',
  'schedule_failed', 'disk_low', 'platform_rate_limited'] as const
export type NotificationEvent = typeof NOTIFICATION_EVENTS[number]

/** GET/PATCH /api/v1/settings/me. */
export interface UserPreferences {
  default_quality: Quality | null
  default_priority: Priority | null
  /** Show notifications in the web UI at all. */
  browser_notifications: boolean
  /** Which events the web UI shows. */
  browser_events: NotificationEvent[]
}
