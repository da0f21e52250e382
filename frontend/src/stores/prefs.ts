// Preferences. Those of this browser (theme, list layouts) live in localStorage; those of
// the account (default quality and priority, which notifications the web UI shows) live on
// the server (GET/PATCH /api/v1/settings/me) and follow the person to every device.
// Nothing secret goes into localStorage.
import { defineStore } from 'pinia'
import { reactive, ref, watch } from 'vue'
import { settingsApi } from '@/api/features'
import type { NotificationEvent, Priority, Quality, UserPreferences } from '@/api/types'
import type { ThemeChoice } from '@/plugins/vuetify'

const STORAGE_KEY = 'mediadl.prefs'

export interface Preferences {
  theme: ThemeChoice
  /** The account's default, kept here too so the add form has it before the server answers. */
  quality: Quality
  priority: Priority
  libraryView: 'grid' | 'list'
  queuePageSize: number
}

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  quality: 'best',
  priority: 'normal',
  libraryView: 'grid',
  queuePageSize: 25,
}

export function loadPreferences(storage: Storage | undefined = globalThis.localStorage): Preferences {
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}') as Partial<Preferences>
    return { ...DEFAULT_PREFERENCES, ...saved }
  } catch {
    return { ...DEFAULT_PREFERENCES }
  }
}

/** Whether the web UI shows a notification about `event` to someone with these preferences. */
export function showsNotification(account: UserPreferences | null, event: string | undefined): boolean {
  // Until the server answered, its defaults apply: everything is shown.
  if (!account) return true
  if (!account.browser_notifications) return false
  return event === undefined || account.browser_events.includes(event as NotificationEvent)
}

export const usePrefsStore = defineStore('prefs', () => {
  const prefs = reactive(loadPreferences())
  const account = ref<UserPreferences | null>(null)

  watch(prefs, (value) => {
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(value))
    } catch {
      // Private mode or a full disk: the choice then lasts for this visit only.
    }
  }, { deep: true })

  function adopt(mine: UserPreferences): void {
    account.value = mine
    if (mine.default_quality) prefs.quality = mine.default_quality
    if (mine.default_priority) prefs.priority = mine.default_priority
  }

  async function loadAccount(): Promise<void> {
    adopt(await settingsApi.mine())
  }

  async function updateAccount(changes: Partial<UserPreferences>): Promise<void> {
    adopt(await settingsApi.updateMine(changes))
  }

  return {
    prefs, account, loadAccount, updateAccount,
    showsNotification: (event?: string) => showsNotification(account.value, event),
    forgetAccount: () => { account.value = null },
  }
})
