// The library seen through a window: pages are fetched from the server as they scroll into
// view and kept in a bounded cache, so 100,000 downloads cost no more than a few pages.
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowReactive } from 'vue'
import { libraryApi } from '@/api/library'
import type { Download, LibraryQuery } from '@/api/types'

export const LIBRARY_PAGE_SIZE = 100
const MAX_CACHED_PAGES = 30

export interface LibraryFilters {
  q: string
  platform: string
  source: string
  kind: string
  date_from: string
  date_to: string
  min_size_mb: number | null
  max_size_mb: number | null
  sort: NonNullable<LibraryQuery['sort']> | ''
  order: 'asc' | 'desc' | ''
}

export const EMPTY_FILTERS: LibraryFilters = {
  q: '', platform: '', source: '', kind: '', date_from: '', date_to: '',
  min_size_mb: null, max_size_mb: null, sort: '', order: '',
}

const MB = 1024 * 1024

export function toQuery(filters: LibraryFilters): LibraryQuery {
  const megabytes = (value: number | null) => (value === null || value === undefined || Number.isNaN(value) ? undefined : Math.round(value * MB))
  return {
    q: filters.q || undefined,
    platform: filters.platform || undefined,
    source: filters.source || undefined,
    kind: filters.kind || undefined,
    date_from: filters.date_from || undefined,
    date_to: filters.date_to || undefined,
    min_size: megabytes(filters.min_size_mb),
    max_size: megabytes(filters.max_size_mb),
    sort: filters.sort || undefined,
    order: filters.order || undefined,
  }
}

export const useLibraryStore = defineStore('library', () => {
  const filters = reactive<LibraryFilters>({ ...EMPTY_FILTERS })
  const total = ref(0)
  const loaded = ref(false)
  const error = ref<unknown>(null)
  const pages = shallowReactive(new Map<number, Download[]>())
  const pending = new Set<number>()
  let generation = 0

  const activeFilterCount = computed(() => Object.entries(filters)
    .filter(([key, value]) => !['q', 'sort', 'order'].includes(key) && value !== '' && value !== null).length)

  function reset(): void {
    generation += 1
    pages.clear()
    pending.clear()
    loaded.value = false
    error.value = null
  }

  async function fetchPage(page: number): Promise<void> {
    if (pages.has(page) || pending.has(page)) return
    const mine = generation
    pending.add(page)
    try {
      const answer = await libraryApi.list({ ...toQuery(filters), page, page_size: LIBRARY_PAGE_SIZE })
      if (mine !== generation) return
      total.value = answer.total
      pages.set(page, answer.items)
      evictFarFrom(page)
      loaded.value = true
      error.value = null
    } catch (caught) {
      if (mine === generation) error.value = caught
    } finally {
      if (mine === generation) pending.delete(page)
    }
  }

  function evictFarFrom(page: number): void {
    if (pages.size <= MAX_CACHED_PAGES) return
    const farthest = [...pages.keys()].sort((a, b) => Math.abs(b - page) - Math.abs(a - page))
    for (const key of farthest.slice(0, pages.size - MAX_CACHED_PAGES)) pages.delete(key)
  }

  /** Makes sure the items from `first` to `last` (0-based) are loaded or on their way. */
  function ensure(first: number, last: number): void {
    const from = Math.floor(Math.max(0, first) / LIBRARY_PAGE_SIZE) + 1
    const to = Math.floor(Math.max(0, last) / LIBRARY_PAGE_SIZE) + 1
    for (let page = from; page <= to; page += 1) void fetchPage(page)
  }

  function itemAt(index: number): Download | undefined {
    return pages.get(Math.floor(index / LIBRARY_PAGE_SIZE) + 1)?.[index % LIBRARY_PAGE_SIZE]
  }

  async function reload(): Promise<void> {
    reset()
    await fetchPage(1)
  }

  return { filters, total, loaded, error, activeFilterCount, ensure, itemAt, reload }
})
