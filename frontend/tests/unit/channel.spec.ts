import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { reconnectDelay } from '@/realtime/backoff'
import { RealtimeChannel, type RealtimeMessage } from '@/realtime/channel'

class FakeSocket {
  static OPEN = 1
  readyState = 0
  sent: string[] = []
  onopen: (() => void) | null = null
  onmessage: ((event: { data: string }) => void) | null = null
  onclose: ((event: { code: number }) => void) | null = null
  constructor(readonly url: string) {}
  send(text: string): void { this.sent.push(text) }
  close(): void { this.onclose?.({ code: 1000 }) }
  open(): void { this.readyState = 1; this.onopen?.() }
  receive(message: object): void { this.onmessage?.({ data: JSON.stringify(message) }) }
  drop(code = 1006): void { this.readyState = 3; this.onclose?.({ code }) }
}

describe('RealtimeChannel', () => {
  let sockets: FakeSocket[]
  let messages: RealtimeMessage[]
  let tickets: number

  function channel(ticket: () => Promise<string | null> = async () => `ticket-${++tickets}`) {
    return new RealtimeChannel({
      path: '/ws/downloads', ticket, onMessage: (message) => messages.push(message),
      openSocket: (url) => { const socket = new FakeSocket(url); sockets.push(socket); return socket as unknown as WebSocket },
      delay: (attempt) => 1000 * (attempt + 1),
    })
  }

  beforeEach(() => {
    vi.useFakeTimers()
    vi.stubGlobal('WebSocket', FakeSocket)
    sockets = []
    messages = []
    tickets = 0
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('authenticates with a one-time ticket as the first message, never in the URL', async () => {
    channel().start()
    await vi.runOnlyPendingTimersAsync()
    sockets[0].open()
    expect(sockets[0].url).toMatch(/^ws:\/\/[^?]+\/ws\/downloads$/)
    expect(JSON.parse(sockets[0].sent[0])).toEqual({ type: 'auth', ticket: 'ticket-1' })
  })

  it('reconnects with a fresh ticket after a drop and hands over the new snapshot', async () => {
    channel().start()
    await vi.runOnlyPendingTimersAsync()
    sockets[0].open()
    sockets[0].receive({ type: 'snapshot', data: { items: [] } })
    sockets[0].drop()
    expect(sockets).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(sockets).toHaveLength(2)
    sockets[1].open()
    expect(JSON.parse(sockets[1].sent[0]).ticket).toBe('ticket-2')
    sockets[1].receive({ type: 'snapshot', data: { items: [1] } })
    expect(messages.map((message) => message.type)).toEqual(['snapshot', 'snapshot'])
  })

  it('backs off further with every failed attempt', async () => {
    channel().start()
    await vi.runOnlyPendingTimersAsync()
    sockets[0].drop()
    await vi.advanceTimersByTimeAsync(1000)
    sockets[1].drop()
    await vi.advanceTimersByTimeAsync(1000)
    expect(sockets).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1000)
    expect(sockets).toHaveLength(3)
  })

  it('stops for good when the session is over or it is stopped', async () => {
    const ended = channel(async () => null)
    ended.start()
    await vi.runOnlyPendingTimersAsync()
    expect(sockets).toHaveLength(0)
    const stopped = channel()
    stopped.start()
    await vi.runOnlyPendingTimersAsync()
    stopped.stop()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(sockets).toHaveLength(1)
  })
})

describe('reconnectDelay', () => {
  it('doubles up to 30 s with jitter', () => {
    expect(reconnectDelay(0, () => 0.5)).toBe(500)
    expect(reconnectDelay(3, () => 0.5)).toBe(4000)
    expect(reconnectDelay(20, () => 0.5)).toBe(30_000)
    expect(reconnectDelay(2, () => 0)).toBe(1600)
    expect(reconnectDelay(2, () => 1)).toBe(2400)
  })
})
