import { http } from './client'
import type {
  BulkQueueAction, EnqueueRequest, Job, JobStatus, Page, ParseResult, Priority, QueueQuery, QueueStats,
} from './types'

const QUEUE = '/api/v1/queue'

export const queueApi = {
  list: (query: QueueQuery, signal?: AbortSignal) =>
    http.get<Page<Job>>(QUEUE, { ...query }, signal),
  get: (id: number) => http.get<Job>(`${QUEUE}/${id}`),
  add: (request: EnqueueRequest) => http.post<Job>(QUEUE, request),
  addBatch: (urls: string[], rest: Omit<EnqueueRequest, 'url'> = {}) =>
    http.post<{ items: Job[] }>(`${QUEUE}/batch`, { urls, ...rest }),
  update: (id: number, patch: { priority?: Priority; paused?: boolean; position?: number }) =>
    http.patch<Job>(`${QUEUE}/${id}`, patch),
  remove: (id: number) => http.delete(`${QUEUE}/${id}`),
  retry: (id: number) => http.post<Job>(`${QUEUE}/${id}/retry`),
  clear: (statuses: JobStatus[]) => http.post<{ affected: number }>(`${QUEUE}/clear`, { statuses }),
  bulk: (action: BulkQueueAction, ids: number[], priority?: Priority) =>
    http.post<{ affected: number }>(`${QUEUE}/bulk`, { action, ids, ...(priority ? { priority } : {}) }),
  pauseAll: () => http.post<{ affected: number }>(`${QUEUE}/pause-all`),
  resumeAll: () => http.post<{ affected: number }>(`${QUEUE}/resume-all`),
  stats: () => http.get<QueueStats>(`${QUEUE}/stats`),
}

export const parseApi = {
  parse: (url: string, signal?: AbortSignal) =>
    http.request<ParseResult>('/api/v1/parse', { method: 'POST', body: { url }, signal }),
}
