import { afterEach, describe, expect, it, vi } from 'vitest'
import AddMediaCard from '@/components/AddMediaCard.vue'
import JobProgress from '@/components/JobProgress.vue'
import LibraryCard from '@/components/LibraryCard.vue'
import PreferencesCard from '@/components/settings/PreferencesCard.vue'
import LoginView from '@/views/LoginView.vue'
import { fakeFetch, job, mountWithApp, settle } from './helpers'

const HOSTILE = '<script>alert(1)</script> ../../etc/passwd <b>bold</b> <img src=x onerror=alert(2)>'

afterEach(() => {
  vi.unstubAllGlobals()
  document.body.replaceChildren()
})

function labelled(text: string): HTMLInputElement | null {
  const label = [...document.querySelectorAll('label')].find((element) => element.htmlFor && element.textContent?.trim() === text)
  return label ? document.getElementById(label.htmlFor) as HTMLInputElement | null : null
}

describe('LoginView', () => {
  it('has the fields and button of the contract', () => {
    const wrapper = mountWithApp(LoginView)
    expect(labelled('Username')).not.toBeNull()
    expect(labelled('Password')?.type).toBe('password')
    expect(wrapper.findAll('button').some((button) => button.text() === 'Log in')).toBe(true)
    wrapper.unmount()
  })

  it('shows the server sentence and asks for the code when two-factor login is on', async () => {
    fakeFetch({ 'POST /api/v1/auth/login': { status: 401, body: { error: 'TotpRequired', detail: 'Enter the code from your authenticator app.' } } })
    const wrapper = mountWithApp(LoginView)
    await wrapper.find('input[name=username]').setValue('alice')
    await wrapper.find('input[name=password]').setValue('correct horse battery')
    await wrapper.find('form').trigger('submit')
    await settle(10)
    expect(wrapper.text()).toContain('Enter the code from your authenticator app.')
    expect(labelled('Two-factor code')).not.toBeNull()
    wrapper.unmount()
  })
})

describe('AddMediaCard', () => {
  it('parses, shows a hostile title as text and queues the chosen quality', async () => {
    const { calls } = fakeFetch({
      'POST /api/v1/parse': { body: { url: 'https://example.org/v', platform: 'generic', engine: 'ytdlp', kind: 'video', title: HOSTILE, uploader: null, duration: 62, thumbnail: 'https://cdn.example.org/t.jpg', entry_count: null, formats: [], qualities: ['best', '720', '360', 'audio'], entries: [] } },
      'POST /api/v1/queue': { status: 201, body: job({ id: 5 }) },
      'GET /api/v1/queue': { body: { items: [], total: 0, page: 1, page_size: 25 } },
      'GET /api/v1/queue/stats': { body: {} },
    })
    const wrapper = mountWithApp(AddMediaCard)
    await wrapper.find('input[name=url]').setValue('https://example.org/v')
    await wrapper.find('form').trigger('submit')
    await settle(10)
    const title = wrapper.find('[data-testid=parsed-title]')
    expect(title.text()).toBe(HOSTILE)
    expect(title.element.querySelector('script, b, img')).toBeNull()
    // The remote thumbnail is a link, never an image loaded from the other site.
    expect(document.querySelector('img[src^="https://cdn.example.org"]')).toBeNull()
    const download = wrapper.findAll('button').find((button) => button.text() === 'Download')
    await download?.trigger('click')
    await settle(10)
    const queued = calls.find((call) => call.method === 'POST' && call.url === '/api/v1/queue')
    expect(queued?.body).toEqual({ url: 'https://example.org/v', quality: 'best', priority: 'normal', paused: false, options: {} })
    wrapper.unmount()
  })

  it('sends the start time of a download scheduled for later', async () => {
    const { calls } = fakeFetch({
      'POST /api/v1/parse': { body: { url: 'https://example.org/v', platform: 'generic', engine: 'ytdlp', kind: 'video', title: 'Later', uploader: null, duration: 62, thumbnail: null, entry_count: null, formats: [], qualities: ['best'], entries: [] } },
      'POST /api/v1/queue': { status: 201, body: job({ id: 6 }) },
      'GET /api/v1/queue': { body: { items: [], total: 0, page: 1, page_size: 25 } },
      'GET /api/v1/queue/stats': { body: {} },
    })
    const wrapper = mountWithApp(AddMediaCard)
    await wrapper.find('input[name=url]').setValue('https://example.org/v')
    await wrapper.find('form').trigger('submit')
    await settle(10)
    const later = labelled('Schedule for later')
    expect(later?.disabled).toBe(false)
    later?.click()
    await settle()
    const startAt = labelled('Start at') as HTMLInputElement
    startAt.value = '2030-05-01T21:30'
    startAt.dispatchEvent(new Event('input'))
    await settle()
    await wrapper.findAll('button').find((button) => button.text() === 'Download')?.trigger('click')
    await settle(10)
    const queued = calls.find((call) => call.method === 'POST' && call.url === '/api/v1/queue')
    expect(queued?.body).toEqual(expect.objectContaining({ not_before: new Date('2030-05-01T21:30').toISOString() }))
    wrapper.unmount()
  })

  it('refuses a link that is not http(s) before asking the server', async () => {
    const { calls } = fakeFetch({})
    const wrapper = mountWithApp(AddMediaCard)
    await wrapper.find('input[name=url]').setValue('javascript:alert(1)')
    await wrapper.find('form').trigger('submit')
    await settle()
    expect(wrapper.text()).toContain('Enter a link that starts with http:// or https://.')
    expect(calls.filter((call) => call.url.includes('/parse'))).toHaveLength(0)
    wrapper.unmount()
  })
})

describe('JobProgress and LibraryCard', () => {
  it('shows percent, speed and time left of a running job', () => {
    const wrapper = mountWithApp(JobProgress, { props: { status: 'running', label: 'x', progress: { percent: 42.5, downloaded_bytes: 435_200, total_bytes: 1_024_000, speed_bps: 204_800, eta_s: 3 } } })
    expect(wrapper.find('[role=progressbar]').attributes('aria-valuenow')).toBe('42.5')
    expect(wrapper.text()).toContain('42.5 %')
    expect(wrapper.text()).toContain('200 KiB/s')
    expect(wrapper.text()).toContain('ETA 3 s')
    wrapper.unmount()
  })

  it('renders a hostile library title as text', () => {
    fakeFetch({})
    const wrapper = mountWithApp(LibraryCard, { props: { item: { id: 1, title: HOSTILE, filename: 'x.mp4', kind: 'video', size: 1, duration: null, platform: 'generic', source: null, thumbnail_url: '/api/v1/downloads/1/thumbnail' } as never } })
    expect(wrapper.text()).toContain(HOSTILE)
    expect(wrapper.element.querySelector('script, b')).toBeNull()
    wrapper.unmount()
  })
})

describe('PreferencesCard', () => {
  it('writes the notification choices to the account on the server', async () => {
    const account = { default_quality: null, default_priority: null, browser_notifications: true, browser_events: ['download_completed', 'download_failed'] }
    const { calls } = fakeFetch({
      'GET /api/v1/settings/me': { body: account },
      'PATCH /api/v1/settings/me': (call) => ({ body: { ...account, ...(call.body as object) } }),
    })
    const wrapper = mountWithApp(PreferencesCard)
    await settle(10)
    expect(labelled('a download completes')?.checked).toBe(true)
    labelled('a download completes')?.click()
    await settle(10)
    expect(calls.at(-1)).toEqual(expect.objectContaining({ method: 'PATCH', body: { browser_events: ['download_failed'] } }))
    labelled('Show notifications in the web UI')?.click()
    await settle(10)
    expect(calls.at(-1)?.body).toEqual({ browser_notifications: false })
    expect(labelled('a download fails')).toBeNull()
    wrapper.unmount()
  })
})
