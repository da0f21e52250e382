// One WebSocket to /ws/<name>: authenticates with a one-time ticket sent as the first
// message (never in the URL), reconnects with exponential backoff, and lets the server's
// `snapshot` after each (re)connect resynchronise whatever was missed.
import { reconnectDelay } from './backoff'

export interface RealtimeMessage {
  type: string
  data: Record<string, unknown>
}

export type ChannelState = 'connecting' | 'open' | 'reconnecting' | 'stopped'

export interface ChannelOptions {
  path: string
  ticket: () => Promise<string | null>
  onMessage: (message: RealtimeMessage) => void
  onState?: (state: ChannelState) => void
  /** Sent right after authenticating (e.g. a log filter). */
  hello?: () => Record<string, unknown> | null
  openSocket?: (url: string) => WebSocket
  delay?: (attempt: number) => number
}

// The server closes with 1008 when a ticket or session is refused.
const POLICY_VIOLATION = 1008

export function socketUrl(path: string, location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`
}

export class RealtimeChannel {
  private socket: WebSocket | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private attempt = 0
  private stopped = true

  constructor(private readonly options: ChannelOptions) {}

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    void this.connect()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.socket?.close(1000)
    this.socket = null
    this.options.onState?.('stopped')
  }

  /** Reconnect at once (the network came back, the tab became visible). */
  nudge(): void {
    if (this.stopped || this.socket) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.attempt = 0
    void this.connect()
  }

  send(message: Record<string, unknown>): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message))
  }

  private async connect(): Promise<void> {
    this.options.onState?.(this.attempt === 0 ? 'connecting' : 'reconnecting')
    let ticket: string | null
    try {
      ticket = await this.options.ticket()
    } catch {
      ticket = ''
    }
    if (this.stopped) return
    if (ticket === null) return this.stop() // logged out: nothing to reconnect to
    if (!ticket) return this.retryLater()
    const open = this.options.openSocket ?? ((url: string) => new WebSocket(url))
    const socket = (this.socket = open(socketUrl(this.options.path)))
    socket.onopen = () => this.authenticate(socket, ticket)
    socket.onmessage = (event) => this.receive(event.data)
    socket.onclose = (event) => this.closed(socket, event.code)
  }

  private authenticate(socket: WebSocket, ticket: string): void {
    socket.send(JSON.stringify({ type: 'auth', ticket }))
    const hello = this.options.hello?.()
    if (hello) socket.send(JSON.stringify(hello))
  }

  private receive(raw: unknown): void {
    let message: RealtimeMessage
    try {
      message = JSON.parse(String(raw)) as RealtimeMessage
    } catch {
      return
    }
    if (!message || typeof message.type !== 'string') return
    if (message.type === 'snapshot') {
      this.attempt = 0
      this.options.onState?.('open')
    }
    this.options.onMessage({ type: message.type, data: message.data ?? {} })
  }

  private closed(socket: WebSocket, code: number): void {
    if (this.socket !== socket) return
    this.socket = null
    if (this.stopped) return
    // A refused ticket usually means an expired access token: the next ticket request
    // refreshes it. Back off anyway so a real refusal does not spin.
    if (code === POLICY_VIOLATION) this.attempt = Math.max(this.attempt, 2)
    this.retryLater()
  }

  private retryLater(): void {
    if (this.stopped) return
    this.options.onState?.('reconnecting')
    const wait = (this.options.delay ?? reconnectDelay)(this.attempt)
    this.attempt += 1
    this.timer = setTimeout(() => {
      this.timer = null
      void this.connect()
    }, wait)
  }
}
