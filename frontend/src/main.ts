import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { createAppVuetify } from './plugins/vuetify'
import { createAppRouter } from './router'
import { loadPreferences } from './stores/prefs'
import './styles/app.css'

const app = createApp(App)
app.use(createPinia())
app.use(createAppVuetify(loadPreferences().theme))
app.use(createAppRouter())
app.mount('#app')

// The service worker caches the app shell for offline start and the install prompt.
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => undefined)
  })
}
