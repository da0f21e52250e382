import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Download } from '@/api/types'
import { EMPTY_FILTERS, LIBRARY_PAGE_SIZE, toQuery, useLibraryStore } from '@/stores/library'
import { fakeFetch, settle } from './helpers'

function download(id: number): Download {
  return {
    id, job_id: null, url: `https://example.org/${id}`, platform: 'generic', source: null, title: `Item ${id}`,
    description: null, kind: 'video', filename: `${id}.mp4`, size: 1, sha256: '', mime: 'video/mp4', width: null,
    height: null, duration: null, file_url: `/api/v1/downloads/${id}/file`, thumbnail_url: `/api/v1/downloads/${id}/thumbnail`,
    created_at: null, metadata: {},
  }
}

describe('library store', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.unstubAllGlobals())

  it('turns the filter form into query parameters', () => {
    expect(toQuery({ ...EMPTY_FILTERS, q: 'cats', kind: 'video', min_size_mb: 1.5, date_from: '2026-01-01' }))
      .toEqual(expect.objectContaining({ q: 'cats', kind: 'video', min_size: 1572864, date_from: '2026-01-01', platform: undefined }))
  })

  it('fetches only the pages that come into view, each once', async () => {
    const total = 100_000
    const { calls } = fakeFetch({
      'GET /api/v1/downloads': (call) => {
        const pageNumber = Number(new URL(call.url, 'http://x').searchParams.get('page'))
        const first = (pageNumber - 1) * LIBRARY_PAGE_SIZE
        return { body: { items: Array.from({ length: LIBRARY_PAGE_SIZE }, (_, index) => download(first + index + 1)), total, page: pageNumber, page_size: LIBRARY_PAGE_SIZE } }
      },
    })
    const library = useLibraryStore()
    await library.reload()
    expect(library.total).toBe(total)
    library.ensure(50_000, 50_010)
    library.ensure(50_005, 50_020)
    await settle()
    expect(calls.map((call) => new URL(call.url, 'http://x').searchParams.get('page'))).toEqual(['1', '501'])
    expect(library.itemAt(50_000)?.id).toBe(50_001)
    expect(library.itemAt(70_000)).toBeUndefined()
  })
})
