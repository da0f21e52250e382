import '@fontsource/roboto/400.css'
import '@fontsource/roboto/500.css'
import '@fontsource/roboto/700.css'
import 'vuetify/styles'
import { createVuetify } from 'vuetify'
import { aliases, mdi } from 'vuetify/iconsets/mdi-svg'

export type ThemeChoice = 'system' | 'light' | 'dark'

export function createAppVuetify(theme: ThemeChoice = 'system') {
  return createVuetify({
    icons: { defaultSet: 'mdi', aliases, sets: { mdi } },
    theme: {
      defaultTheme: theme,
      themes: {
        light: { dark: false, colors: { primary: '#1565c0', secondary: '#5c6bc0', background: '#f5f7fa' } },
        dark: { dark: true, colors: { primary: '#64b5f6', secondary: '#9fa8da', background: '#121417', surface: '#1c1f24' } },
      },
    },
    defaults: {
      VTextField: { variant: 'outlined', density: 'comfortable' },
      VSelect: { variant: 'outlined', density: 'comfortable' },
      VTextarea: { variant: 'outlined', density: 'comfortable' },
      VBtn: { rounded: 'lg' },
      VCard: { rounded: 'lg' },
    },
  })
}
