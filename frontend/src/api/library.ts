import { http } from './client'
import type { List } from './lists'
import type { Download, DownloadStats, DuplicateGroup, LibraryQuery, Page } from './types'

const DOWNLOADS = '/api/v1/downloads'

export const libraryApi = {
  list: (query: LibraryQuery, signal?: AbortSignal) =>
    http.get<Page<Download>>(DOWNLOADS, { ...query }, signal),
  get: (id: number) => http.get<Download>(`${DOWNLOADS}/${id}`),
  remove: (id: number, deleteFile: boolean) =>
    http.delete(`${DOWNLOADS}/${id}`, { delete_file: deleteFile }),
  bulk: (action: 'delete' | 'redownload', ids: number[], deleteFile = false) =>
    http.post<{ affected: number }>(`${DOWNLOADS}/bulk`,
      { action, ids, ...(action === 'delete' ? { delete_file: deleteFile } : {}) }),
  stats: () => http.get<DownloadStats>(`${DOWNLOADS}/stats`),
  duplicates: () => http.get<List<DuplicateGroup>>(`${DOWNLOADS}/duplicates`),
}
