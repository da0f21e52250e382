// The events notifications can be about, in words (notifications/events.py on the server).
import type { NotificationEvent } from '@/api/types'

export const EVENT_CHOICES: { title: string; value: NotificationEvent }[] = [
  { title: 'a download completes', value: 'download_completed' },
  { title: 'a download fails', value: 'download_failed' },
  { title: 'a schedule run finishes', value: 'schedule_run_finished' },
  { title: 'a schedule fails', value: 'schedule_failed' },
  { title: 'the disk is nearly full', value: 'disk_low' },
  { title: 'a platform is rate-limited', value: 'platform_rate_limited' },
]

export function eventTitle(value: string): string {
  return EVENT_CHOICES.find((event) => event.value === value)?.title ?? value
}
