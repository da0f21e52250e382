import { onBeforeUnmount, watch } from 'vue'
import { useLiveStore } from '@/stores/live'

/**
 * Reloads a view's current page when the live stream says jobs were added, removed or
 * changed state (a resync after a reconnect included). Bursts of events cause at most one
 * reload per `intervalMs`.
 */
export function useLiveRefresh(reload: () => void, intervalMs = 800): void {
  const live = useLiveStore()
  let timer: ReturnType<typeof setTimeout> | null = null
  let lastRun = 0

  function run(): void {
    timer = null
    lastRun = Date.now()
    reload()
  }

  watch(() => live.changes, () => {
    if (timer) return
    timer = setTimeout(run, Math.max(0, lastRun + intervalMs - Date.now()))
  })
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer)
  })
}
