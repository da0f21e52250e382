/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import vuetify from 'vite-plugin-vuetify'

// `npm run dev` proxies the API to a running `mediadl serve` (default: make run's address).
const backend = process.env.MEDIADL_DEV_BACKEND ?? 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [vue(), vuetify({ autoImport: true })],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  build: {
    // The Python package serves this folder; it is build output and ignored by git.
    outDir: fileURLToPath(new URL('../src/mediadl/static', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Never inline files as data: URLs: the app's CSP allows fonts from its own origin only.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: {
      '/api': backend,
      '/health': backend,
      '/ws': { target: backend.replace(/^http/, 'ws'), ws: true },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/unit/**/*.spec.ts'],
    setupFiles: ['tests/unit/setup.ts'],
    server: { deps: { inline: ['vuetify'] } },
    css: false,
  },
})
