import { mount, type ComponentMountingOptions } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { createVuetify } from 'vuetify'
import type { Component } from 'vue'
import type { Job } from '@/api/types'

export interface FakeAnswer {
  status?: number
  body?: unknown
  headers?: Record<string, string>
}

export interface RecordedCall {
  url: string
  method: string
  headers: Record<string, string>
  body: unknown
}

/** A fetch that answers by "METHOD path" and records every call. */
export function fakeFetch(routes: Record<string, FakeAnswer | ((call: RecordedCall) => FakeAnswer)>) {
  const calls: RecordedCall[] = []
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input)
    const method = (init.method ?? 'GET').toUpperCase()
    const call = { url, method, headers: { ...(init.headers as Record<string, string>) }, body: init.body ? JSON.parse(String(init.body)) : undefined }
    calls.push(call)
    const path = url.split('?')[0]
    const route = routes[`${method} ${path}`] ?? { status: 404, body: { error: 'NotFound', detail: 'Not Found' } }
    const answer = typeof route === 'function' ? route(call) : route
    const status = answer.status ?? 200
    return new Response(status === 204 ? null : JSON.stringify(answer.body ?? {}), {
      status, headers: { 'content-type': 'application/json', ...answer.headers },
    })
  })
  vi.stubGlobal('fetch', fetchMock)
  return { calls, fetchMock }
}

export function mountWithApp<T extends Component>(component: T, options: ComponentMountingOptions<T> = {}) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:any(.*)*', component: { template: '<div />' } }] })
  return mount(component, {
    ...options,
    global: { plugins: [pinia, createVuetify(), router], ...(options.global ?? {}) },
    attachTo: document.body,
  } as ComponentMountingOptions<T>)
}

export async function settle(times = 5): Promise<void> {
  for (let index = 0; index < times; index += 1) await new Promise((resolve) => setTimeout(resolve, 0))
}

export function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 1, url: 'https://example.org/v', platform: 'generic', engine: 'ytdlp', kind: 'video', title: 'A video',
    source: null, status: 'queued', priority: 'normal', position: 1, quality: 'best', options: {},
    progress: { percent: null, downloaded_bytes: 0, total_bytes: null, speed_bps: null, eta_s: null },
    attempts: 0, error: null, parent_id: null, owner_id: 1, schedule_id: null, created_at: '2026-11-21T10:00:00Z',
    started_at: null, finished_at: null, download_ids: [], ...overrides,
  }
}
