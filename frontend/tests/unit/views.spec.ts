import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import type { Download } from '@/api/types'
import CronHelper from '@/components/CronHelper.vue'
import JobListItem from '@/components/JobListItem.vue'
import LibraryFilters from '@/components/LibraryFilters.vue'
import MediaViewer from '@/components/MediaViewer.vue'
import QueueToolbar from '@/components/QueueToolbar.vue'
import ScheduleEditor from '@/components/ScheduleEditor.vue'
import { toQuery, useLibraryStore } from '@/stores/library'
import LogsView from '@/views/LogsView.vue'
import { fakeFetch, job, mountWithApp, settle } from './helpers'

// Dialogs and menus place themselves with it; happy-dom has none.
beforeEach(() => {
  vi.stubGlobal('visualViewport', Object.assign(new EventTarget(), { width: 1280, height: 800, offsetLeft: 0, offsetTop: 0, scale: 1 }))
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  document.body.replaceChildren()
})

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Types into an input the way a person does: the value, then the input event. */
async function type(input: Element | null, value: string): Promise<void> {
  if (!(input instanceof HTMLInputElement)) throw new Error('no such input')
  input.value = value
  input.dispatchEvent(new Event('input'))
  await nextTick()
}

function inputLabelled(text: string): HTMLInputElement | null {
  const label = [...document.querySelectorAll('label')].find((element) => element.htmlFor && element.textContent?.trim() === text)
  return label ? document.getElementById(label.htmlFor) as HTMLInputElement | null : null
}

function button(text: string): HTMLElement {
  const found = [...document.querySelectorAll('button, a')].find((element) => element.textContent?.trim() === text)
  if (!found) throw new Error(`no button "${text}"`)
  return found as HTMLElement
}

const params = (url: string) => Object.fromEntries(new URL(url, 'http://x').searchParams)

describe('LogsView', () => {
  const logPage = { items: [{ timestamp: '2026-11-21T10:00:00Z', level: 'INFO', module: 'mediadl.jobs', message: 'started', job_id: 7 }], total: 450, page: 1, page_size: 200 }

  function mountLogs() {
    const fake = fakeFetch({
      'GET /api/v1/logs': { body: logPage },
      'GET /api/v1/logs/download': { body: {}, headers: { 'content-disposition': 'attachment; filename="mediadl-logs-x.jsonl"' } },
      'POST /api/v1/auth/ws-ticket': { status: 401, body: { error: 'NotAuthenticated', detail: 'Log in.' } },
    })
    return { ...fake, wrapper: mountWithApp(LogsView) }
  }

  it('sends the job id and time range as filters and pages over the results', async () => {
    const { calls, wrapper } = mountLogs()
    await settle(10)
    expect(params(calls[0].url)).toEqual({ level: 'INFO', page: '1', page_size: '200' })
    expect(wrapper.text()).toContain('450 matching records · page 1 of 3')
    await type(wrapper.find('[data-testid=log-job-id] input').element, '7')
    await type(wrapper.find('[data-testid=log-since] input').element, '2026-11-21T09:00')
    await type(wrapper.find('[data-testid=log-until] input').element, '2026-11-21T11:30')
    await wait(350)
    await settle(5)
    const filtered = params(calls.filter((call) => call.url.startsWith('/api/v1/logs?')).at(-1)!.url)
    expect(filtered).toEqual(expect.objectContaining({
      job_id: '7', since: new Date('2026-11-21T09:00').toISOString(), until: new Date('2026-11-21T11:30').toISOString(), page: '1',
    }))
    const pages = wrapper.find('[data-testid=log-pages]')
    expect(pages.exists()).toBe(true)
    await pages.findAll('button').find((element) => element.text() === '3')!.trigger('click')
    await settle(5)
    expect(params(calls.at(-1)!.url)).toEqual(expect.objectContaining({ page: '3', job_id: '7' }))
    wrapper.unmount()
  })

  it('downloads with the current filters and not a page of them', async () => {
    const created = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:x')
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {})
    const { calls, wrapper } = mountLogs()
    await settle(10)
    await type(wrapper.find('[data-testid=log-job-id] input').element, '12')
    await wait(350)
    await settle(5)
    button('Download').click()
    await settle(10)
    const download = calls.find((call) => call.url.startsWith('/api/v1/logs/download'))!
    expect(params(download.url)).toEqual({ level: 'INFO', job_id: '12' })
    expect(created).toHaveBeenCalled()
    expect(clicked).toHaveBeenCalled()
    wrapper.unmount()
  })

  it('asks for a number in the job field and does not send a bad one', async () => {
    const { calls, wrapper } = mountLogs()
    await settle(10)
    const before = calls.length
    await type(wrapper.find('[data-testid=log-job-id] input').element, 'abc')
    await wait(350)
    await settle(5)
    expect(wrapper.text()).toContain('A job number')
    expect(calls.length).toBe(before)
    wrapper.unmount()
  })
})

describe('ScheduleEditor and the cron helper', () => {
  it('puts a cron expression into words with its next runs', () => {
    const wrapper = mountWithApp(CronHelper, { props: { expression: '0 3 * * *', timeZone: 'Europe/Berlin' } })
    expect(wrapper.text()).toContain('Every day at 03:00')
    expect(wrapper.findAll('li')).toHaveLength(5)
    wrapper.unmount()
  })

  it('says what is wrong with a bad expression or time zone', () => {
    const wrapper = mountWithApp(CronHelper, { props: { expression: '61 * * * *', timeZone: 'UTC' } })
    expect(wrapper.find('.text-error').text()).not.toBe('')
    wrapper.unmount()
    const zone = mountWithApp(CronHelper, { props: { expression: '0 3 * * *', timeZone: 'Mars/Olympus' } })
    expect(zone.text()).toContain('is not a known time zone')
    zone.unmount()
  })

  it('creates a schedule from a preset', async () => {
    const { calls } = fakeFetch({ 'POST /api/v1/scheduler/jobs': (call) => ({ status: 201, body: { id: 4, ...(call.body as object) } }) })
    const wrapper = mountWithApp(ScheduleEditor, { props: { modelValue: false, schedule: null } })
    await wrapper.setProps({ modelValue: true })
    await settle(5)
    await type(inputLabelled('Name'), 'Podcast')
    await type(inputLabelled('Source URL'), 'https://example.org/feed.xml')
    const preset = [...document.querySelectorAll('.v-chip')].find((chip) => chip.textContent?.trim() === 'Every hour') as HTMLElement
    preset.click()
    await settle(5)
    expect(inputLabelled('Cron expression')?.value).toBe('0 * * * *')
    expect(document.querySelector('.cron-helper')?.textContent).toContain('Every hour')
    button('Save schedule').click()
    await settle(15)
    const created = calls.find((call) => call.method === 'POST')
    expect(created?.body).toEqual(expect.objectContaining({ name: 'Podcast', url: 'https://example.org/feed.xml', cron: '0 * * * *', enabled: true }))
    expect(wrapper.emitted('saved')?.[0][0]).toEqual(expect.objectContaining({ id: 4 }))
    wrapper.unmount()
  })

  it('refuses to save an invalid cron expression', async () => {
    const { calls } = fakeFetch({})
    const wrapper = mountWithApp(ScheduleEditor, { props: { modelValue: false, schedule: null } })
    await wrapper.setProps({ modelValue: true })
    await settle(5)
    await type(inputLabelled('Name'), 'Podcast')
    await type(inputLabelled('Source URL'), 'https://example.org/feed.xml')
    await type(inputLabelled('Cron expression'), '99 * * * *')
    button('Save schedule').click()
    await settle(15)
    expect(calls.filter((call) => call.method === 'POST')).toHaveLength(0)
    wrapper.unmount()
  })
})

describe('LibraryFilters', () => {
  it('fills the library filters and applies them', async () => {
    const wrapper = mountWithApp(LibraryFilters, { props: { platforms: ['youtube', 'generic'] } })
    await type(inputLabelled('Source'), 'Some channel')
    await type(inputLabelled('Min size (MiB)'), '2')
    await type(inputLabelled('From date'), '2026-01-01')
    await wrapper.find('form').trigger('submit')
    expect(wrapper.emitted('apply')).toHaveLength(1)
    const library = useLibraryStore()
    expect(toQuery(library.filters)).toEqual(expect.objectContaining({ source: 'Some channel', min_size: 2 * 1024 * 1024, date_from: '2026-01-01' }))
    expect(library.activeFilterCount).toBe(3)
    button('Reset').click()
    expect(wrapper.emitted('reset')).toHaveLength(1)
    wrapper.unmount()
  })
})

describe('MediaViewer', () => {
  const video: Download = {
    id: 3, job_id: 1, url: 'https://example.org/v', platform: 'generic', source: null, title: 'A video', description: null,
    kind: 'video', filename: 'generic/A video.mp4', size: 5_000_000_000, sha256: '', mime: 'video/mp4', width: 1280, height: 720,
    duration: 62, file_url: '/api/v1/downloads/3/file', thumbnail_url: '/api/v1/downloads/3/thumbnail', created_at: null, metadata: {},
  }

  it('streams the file through the element and fetches nothing itself, however large', async () => {
    const { fetchMock } = fakeFetch({})
    const wrapper = mountWithApp(MediaViewer, { props: { modelValue: true, item: video } })
    await settle(5)
    const player = document.querySelector('video[data-testid=player]') as HTMLVideoElement
    expect(player.getAttribute('src')).toBe('/api/v1/downloads/3/file?inline=true')
    const link = document.querySelector('[data-testid=download]') as HTMLAnchorElement
    expect(link.tagName).toBe('A')
    expect(link.getAttribute('href')).toBe('/api/v1/downloads/3/file')
    expect(link.getAttribute('download')).toBe('A video.mp4')
    expect([...document.querySelectorAll('[src], [href]')].map((element) => element.getAttribute('src') ?? element.getAttribute('href'))).not.toContainEqual(expect.stringMatching(/^blob:/))
    expect(fetchMock).not.toHaveBeenCalled()
    wrapper.unmount()
  })

  it('says so when the browser cannot play the file', async () => {
    fakeFetch({})
    const wrapper = mountWithApp(MediaViewer, { props: { modelValue: true, item: video } })
    await settle(5)
    document.querySelector('video[data-testid=player]')!.dispatchEvent(new Event('error'))
    await settle(2)
    expect(document.body.textContent).toContain('The browser could not play this file')
    wrapper.unmount()
  })
})

describe('QueueToolbar', () => {
  const stats = { queued: 2, paused: 1, running: 1, completed: 5, failed: 3, canceled: 0 }

  it('offers the bulk queue actions', async () => {
    const wrapper = mountWithApp(QueueToolbar, { props: { status: '', sort: 'priority:asc', platform: '', query: '', stats, platforms: [] } })
    const expected = [['Pause all', 'pause-all'], ['Resume all', 'resume-all'], ['Retry all failed', 'retry-failed'],
      ['Clear completed', 'clear-completed'], ['Clear failed and canceled', 'clear-failed'], ['Add several links…', 'batch']]
    for (const [title] of expected) {
      button('Queue actions').click()
      await settle(3)
      const item = [...document.querySelectorAll('.v-list-item')].find((element) => element.textContent?.trim() === title) as HTMLElement
      item.click()
      await settle(3)
    }
    expect(wrapper.emitted('global')?.map(([action]) => action)).toEqual(expected.map(([, action]) => action))
    wrapper.unmount()
  })

  it('counts jobs per status filter and searches after a pause in typing', async () => {
    const wrapper = mountWithApp(QueueToolbar, { props: { status: '', sort: 'priority:asc', platform: '', query: '', stats, platforms: [] } })
    expect(wrapper.text()).toContain('All12')
    expect(wrapper.text()).toContain('Active4')
    await type(inputLabelled('Search the queue'), 'cats')
    expect(wrapper.emitted('update:query')).toBeUndefined()
    await wait(350)
    expect(wrapper.emitted('update:query')?.at(-1)).toEqual(['cats'])
    wrapper.unmount()
  })
})

describe('JobListItem', () => {
  it('says when a queued job held for later starts', () => {
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString()
    const wrapper = mountWithApp(JobListItem, { props: { job: job({ not_before: later }), selected: false, canMoveUp: false, canMoveDown: false } })
    expect(wrapper.find('[data-testid=starts-at]').text()).toMatch(/^starts at /)
    wrapper.unmount()
    const past = mountWithApp(JobListItem, { props: { job: job({ not_before: '2020-01-01T00:00:00Z' }), selected: false, canMoveUp: false, canMoveDown: false } })
    expect(past.find('[data-testid=starts-at]').exists()).toBe(false)
    past.unmount()
  })
})
