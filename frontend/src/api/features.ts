// Endpoints of the scheduler, platforms, settings, logs, stats and notifications.
import { http } from './client'
import type { List } from './lists'
import type {
  LogPage, LogQuery, NewNotificationChannel, NotificationChannel, Platform, PlatformSettings, RankedCount, Schedule,
  ScheduleInput, ScheduleRun, StatsOverview, StorageStats, TimelinePoint, UserPreferences,
} from './types'

const V1 = '/api/v1'

export const schedulerApi = {
  list: () => http.get<List<Schedule>>(`${V1}/scheduler/jobs`),
  create: (body: ScheduleInput) => http.post<Schedule>(`${V1}/scheduler/jobs`, body),
  update: (id: number, body: ScheduleInput) => http.patch<Schedule>(`${V1}/scheduler/jobs/${id}`, body),
  remove: (id: number) => http.delete(`${V1}/scheduler/jobs/${id}`),
  runNow: (id: number) => http.post<unknown>(`${V1}/scheduler/jobs/${id}/run`),
  history: (scheduleId?: number) =>
    http.get<List<ScheduleRun>>(`${V1}/scheduler/history`, { job_id: scheduleId }),
}

export const platformsApi = {
  list: () => http.get<List<Platform>>(`${V1}/platforms`),
  test: (name: string) => http.post<unknown>(`${V1}/platforms/${encodeURIComponent(name)}/test`),
  settings: () => http.get<List<PlatformSettings>>(`${V1}/settings/platforms`),
  updateSettings: (name: string, body: Record<string, unknown>) =>
    http.patch<PlatformSettings>(`${V1}/settings/platforms/${encodeURIComponent(name)}`, body),
  /** A Netscape cookies.txt, sent as the form field "file"; the server keeps it encrypted. */
  uploadCookies: (name: string, file: File) => {
    const form = new FormData()
    form.append('file', file)
    return http.request<PlatformSettings>(`${V1}/settings/platforms/${encodeURIComponent(name)}/cookies`, { method: 'PUT', form })
  },
  removeCookies: (name: string) => http.delete(`${V1}/settings/platforms/${encodeURIComponent(name)}/cookies`),
}

export const settingsApi = {
  get: () => http.get<Record<string, unknown>>(`${V1}/settings`),
  update: (changes: Record<string, unknown>) => http.patch<Record<string, unknown>>(`${V1}/settings`, changes),
  mine: () => http.get<UserPreferences>(`${V1}/settings/me`),
  updateMine: (changes: Partial<UserPreferences>) => http.patch<UserPreferences>(`${V1}/settings/me`, changes),
}

export const logsApi = {
  list: (query: LogQuery) => http.get<LogPage>(`${V1}/logs`, { ...query }),
  /** The records matching the same filters as `list`, as JSON lines, oldest first. */
  download: (query: LogQuery) => http.send(`${V1}/logs/download`, { query: { ...query } }),
  clear: (before?: string) => http.delete(`${V1}/logs`, { before }),
}

export const statsApi = {
  overview: () => http.get<StatsOverview>(`${V1}/stats/overview`),
  timeline: (interval: 'day' | 'week' = 'day') =>
    http.get<List<TimelinePoint>>(`${V1}/stats/timeline`, { interval, ...(interval === 'week' ? { days: 182 } : {}) }),
  platforms: () => http.get<List<RankedCount>>(`${V1}/stats/platforms`),
  sources: () => http.get<List<RankedCount>>(`${V1}/stats/sources`),
  storage: () => http.get<StorageStats>(`${V1}/stats/storage`),
}

export const notificationsApi = {
  list: () => http.get<List<NotificationChannel>>(`${V1}/notifications`),
  create: (body: NewNotificationChannel) => http.post<NotificationChannel>(`${V1}/notifications`, body),
  update: (id: number, body: Partial<NewNotificationChannel>) =>
    http.patch<NotificationChannel>(`${V1}/notifications/${id}`, body),
  remove: (id: number) => http.delete(`${V1}/notifications/${id}`),
  test: (id: number) => http.post<{ delivered: boolean; detail: string }>(`${V1}/notifications/${id}/test`),
}
