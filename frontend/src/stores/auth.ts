import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { authApi } from '@/api/auth'
import { http, session } from '@/api/client'
import { ApiError } from '@/api/errors'
import type { Me } from '@/api/types'

// Whether this browser logged in before. Only then is a refresh worth trying on page load;
// a first visit would otherwise start with a refused request. Holds no secret.
const SESSION_HINT = 'mediadl.session'

function hintSession(present: boolean): void {
  try {
    if (present) globalThis.localStorage?.setItem(SESSION_HINT, '1')
    else globalThis.localStorage?.removeItem(SESSION_HINT)
  } catch {
    // Storage unavailable: every load then simply tries the refresh.
  }
}

function mayHaveSession(): boolean {
  try {
    return globalThis.localStorage?.getItem(SESSION_HINT) !== null
  } catch {
    return true
  }
}

/** The login answer asks for a second factor (the wording is the server's). */
export function asksForTotp(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false
  return /totp|two.?factor|one.?time|authenticator|2fa/i.test(`${error.code} ${error.message}`)
}

export const useAuthStore = defineStore('auth', () => {
  const user = ref<Me | null>(null)
  const ready = ref(false)
  let restoring: Promise<void> | null = null

  const isAdmin = computed(() => user.value?.role === 'admin')
  const loggedIn = computed(() => user.value !== null)

  async function login(username: string, password: string, totp?: string): Promise<void> {
    session.set(await authApi.login(username, password, totp))
    hintSession(true)
    user.value = await authApi.me()
  }

  // A reload keeps the person logged in: the refresh cookie buys a new access token.
  async function restoreOnce(): Promise<void> {
    try {
      if (mayHaveSession() && await session.refresh()) user.value = await authApi.me()
      else hintSession(false)
    } catch {
      user.value = null
    } finally {
      ready.value = true
    }
  }

  async function logout(): Promise<void> {
    try {
      if (session.token) await authApi.logout()
    } finally {
      sessionEnded()
    }
  }

  function sessionEnded(): void {
    user.value = null
    session.clear()
    hintSession(false)
  }

  http.onSessionEnded = sessionEnded
  // A timed refresh that the server refused clears the token: that is a logout too.
  session.onChange((token) => {
    if (token === null && user.value !== null) sessionEnded()
  })

  return {
    user, ready, isAdmin, loggedIn, login, logout, sessionEnded,
    restore: () => (restoring ??= restoreOnce()),
  }
})
