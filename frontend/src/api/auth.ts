import { http } from './client'
import type { List } from './lists'
import type { ApiToken, Me, NewApiToken, SessionInfo, TokenPair, TotpSetup, TotpStatus, User, WsTicket } from './types'

const AUTH = '/api/v1/auth'

export const authApi = {
  login: (username: string, password: string, totp?: string) =>
    http.request<TokenPair>(`${AUTH}/login`, {
      method: 'POST', anonymous: true, body: { username, password, ...(totp ? { totp } : {}) },
    }),
  logout: () => http.post<void>(`${AUTH}/logout`),
  me: () => http.get<Me>(`${AUTH}/me`),
  wsTicket: () => http.post<WsTicket>(`${AUTH}/ws-ticket`),
  /** Answers with a new token pair: every other session ends, this one goes on. */
  changePassword: (current_password: string, new_password: string) =>
    http.post<TokenPair | undefined>(`${AUTH}/password`, { current_password, new_password }),
  tokens: () => http.get<List<ApiToken>>(`${AUTH}/tokens`),
  createToken: (name: string, expires_in_days?: number) =>
    http.post<NewApiToken>(`${AUTH}/tokens`, { name, ...(expires_in_days ? { expires_in_days } : {}) }),
  revokeToken: (id: number) => http.delete(`${AUTH}/tokens/${id}`),
  sessions: () => http.get<List<SessionInfo>>(`${AUTH}/sessions`),
  endSession: (id: number) => http.delete(`${AUTH}/sessions/${id}`),
  totpStatus: () => http.get<TotpStatus>(`${AUTH}/totp`),
  totpSetup: () => http.post<TotpSetup>(`${AUTH}/totp/setup`),
  totpEnable: (code: string) => http.post<{ recovery_codes?: string[] }>(`${AUTH}/totp/enable`, { code }),
  totpDisable: (body: { password?: string; code?: string }) => http.post<void>(`${AUTH}/totp/disable`, body),
}

export const usersApi = {
  list: () => http.get<User[]>('/api/v1/users'),
  create: (body: { username: string; password: string; role: string; email?: string | null }) =>
    http.post<User>('/api/v1/users', body),
  update: (id: number, body: Partial<Pick<User, 'role' | 'is_active' | 'email'>> & { password?: string }) =>
    http.patch<User>(`/api/v1/users/${id}`, body),
  remove: (id: number) => http.delete(`/api/v1/users/${id}`),
  endSessions: (id: number) => http.post<void>(`/api/v1/users/${id}/end-sessions`),
}
