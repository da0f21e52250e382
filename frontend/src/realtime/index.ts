// Starts the live feed after login: the WebSocket /ws/downloads (ticket auth, reconnect,
// resync from the snapshot). Messages go to the live store and the notifications.
import { authApi } from '@/api/auth'
import { ApiError } from '@/api/errors'
import { type ProgressEvent, type QueueUpdate, type Snapshot, useLiveStore } from '@/stores/live'
import { useNotifyStore } from '@/stores/notify'
import { usePrefsStore } from '@/stores/prefs'
import { type ChannelState, RealtimeChannel, type RealtimeMessage } from './channel'

// /ws/downloads carries progress as well as queue changes and notifications: one socket
// serves every job view.
const JOB_CHANNELS = ['/ws/downloads']

/** A fresh one-time ticket; null once the session is over (nothing to reconnect to). */
export async function fetchTicket(): Promise<string | null> {
  try {
    return (await authApi.wsTicket()).ticket
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null
    throw error
  }
}

// The account's preferences decide: notifications off, or this kind of event not wanted,
// shows nothing. Messages that name no event are governed by the on/off switch alone.
export function showNotification(data: Record<string, unknown>): void {
  const prefs = usePrefsStore()
  if (!prefs.showsNotification(typeof data.event === 'string' ? data.event : undefined)) return
  const notify = useNotifyStore()
  const title = String(data.title ?? 'mediadl')
  const message = String(data.message ?? '')
  const level = String(data.level ?? 'info')
  const text = message ? `${title}: ${message}` : title
  if (level === 'error') notify.error(new Error(text))
  else if (level === 'warning') notify.warning(text)
  else if (level === 'success') notify.success(text)
  else notify.info(text)
  // A system notification only while the app is in the background and the browser allows it.
  if (globalThis.Notification?.permission === 'granted' && document.hidden) {
    new Notification(title, { body: message, icon: '/icons/icon-192.png' })
  }
}

export function dispatchJobMessage(message: RealtimeMessage): void {
  const live = useLiveStore()
  if (message.type === 'snapshot') live.applySnapshot(message.data as unknown as Snapshot)
  else if (message.type === 'download_progress') live.applyProgress(message.data as unknown as ProgressEvent)
  else if (message.type === 'queue_updated') live.applyQueueUpdate(message.data as unknown as QueueUpdate)
  else if (message.type === 'notification') showNotification(message.data)
}

function trackState(states: Map<string, ChannelState>, path: string, state: ChannelState): void {
  states.set(path, state)
  const all = [...states.values()]
  const live = useLiveStore()
  if (all.every((value) => value === 'open')) live.connection = 'live'
  else if (all.some((value) => value === 'reconnecting')) live.connection = 'reconnecting'
  else if (all.every((value) => value === 'stopped')) live.connection = 'off'
  else live.connection = 'connecting'
}

export function startRealtime(): () => void {
  const states = new Map<string, ChannelState>()
  const channels = JOB_CHANNELS.map((path) => new RealtimeChannel({
    path, ticket: fetchTicket, onMessage: dispatchJobMessage,
    onState: (state) => trackState(states, path, state),
  }))
  const nudge = () => channels.forEach((channel) => channel.nudge())
  window.addEventListener('online', nudge)
  document.addEventListener('visibilitychange', nudge)
  channels.forEach((channel) => channel.start())
  return () => {
    window.removeEventListener('online', nudge)
    document.removeEventListener('visibilitychange', nudge)
    channels.forEach((channel) => channel.stop())
  }
}
