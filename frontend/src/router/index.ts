import { createRouter, createWebHistory, type RouteRecordRaw, type Router } from 'vue-router'
import { useAuthStore } from '@/stores/auth'
import DashboardView from '@/views/DashboardView.vue'
import LoginView from '@/views/LoginView.vue'
import QueueView from '@/views/QueueView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    title?: string
    public?: boolean
    admin?: boolean
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: LoginView, meta: { title: 'Log in', public: true } },
  { path: '/', name: 'dashboard', component: DashboardView, meta: { title: 'Dashboard' } },
  { path: '/queue', name: 'queue', component: QueueView, meta: { title: 'Queue' } },
  { path: '/scheduler', name: 'scheduler', component: () => import('@/views/SchedulerView.vue'), meta: { title: 'Scheduler' } },
  { path: '/history', name: 'history', component: () => import('@/views/HistoryView.vue'), meta: { title: 'History' } },
  { path: '/stats', name: 'stats', component: () => import('@/views/StatsView.vue'), meta: { title: 'Statistics' } },
  { path: '/logs', name: 'logs', component: () => import('@/views/LogsView.vue'), meta: { title: 'Logs', admin: true } },
  { path: '/settings/:tab?', name: 'settings', component: () => import('@/views/SettingsView.vue'), meta: { title: 'Settings' } },
  { path: '/share', name: 'share', component: () => import('@/views/ShareView.vue'), meta: { title: 'Share' } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('@/views/NotFoundView.vue'), meta: { title: 'Not found', public: true } },
]

export function installGuards(router: Router): void {
  router.beforeEach(async (to) => {
    const auth = useAuthStore()
    await auth.restore()
    if (to.meta.public) return to.name === 'login' && auth.loggedIn ? safeRedirect(to.query.redirect) : true
    if (!auth.loggedIn) return { name: 'login', query: { redirect: to.fullPath } }
    if (to.meta.admin && !auth.isAdmin) return { name: 'dashboard' }
    return true
  })
  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · mediadl` : 'mediadl'
  })
}

/** Only paths inside this app are followed after login (no open redirect). */
export function safeRedirect(value: unknown): string {
  const path = typeof value === 'string' ? value : ''
  return path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\') ? path : '/'
}

export function createAppRouter(): Router {
  const router = createRouter({ history: createWebHistory(), routes })
  installGuards(router)
  return router
}
