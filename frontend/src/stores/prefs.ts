// Preferences of this browser: theme, add-flow defaults, library layout. Kept in
// localStorage so they survive a reload; nothing secret goes here.
import { defineStore } from 'pinia'
import { reactive, watch } from 'vue'
import type { Priority, Quality } from '@/api/types'
import type { ThemeChoice } from '@/plugins/vuetify'

const STORAGE_KEY = 'mediadl.prefs'

export interface Preferences {
  theme: ThemeChoice
  quality: Quality
  priority: Priority
  libraryView: 'grid' | 'list'
  queuePageSize: number
  browserNotifications: boolean
}

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  quality: 'best',
  priority: 'normal',
  libraryView: 'grid',
  queuePageSize: 25,
  browserNotifications: false,
}

export function loadPreferences(storage: Storage | undefined = globalThis.localStorage): Preferences {
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}') as Partial<Preferences>
    return { ...DEFAULT_PREFERENCES, ...saved }
  } catch {
    return { ...DEFAULT_PREFERENCES }
  }
}

export const usePrefsStore = defineStore('prefs', () => {
  const prefs = reactive(loadPreferences())
  watch(prefs, (value) => {
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(value))
    } catch {
      // Private mode or a full disk: the choice then lasts for this visit only.
    }
  }, { deep: true })
  return { prefs }
})
