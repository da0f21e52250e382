// mediadl's service worker. It caches the app shell only: the page itself and the hashed
// files it loads. API answers, media files, thumbnails and sockets always go to the network,
// so nothing private or stale is ever served from here.
const SHELL_CACHE = 'mediadl-shell'
const ASSET_CACHE = 'mediadl-assets'
const SHELL_KEY = '/'
const NETWORK_ONLY = [/^\/api\//, /^\/ws\//, /^\/health$/, /^\/metrics$/]

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll([SHELL_KEY, '/manifest.webmanifest', '/icons/icon.svg']))
      .then(() => self.skipWaiting()),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim())
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  if (NETWORK_ONLY.some((pattern) => pattern.test(url.pathname))) return
  if (request.mode === 'navigate') {
    event.respondWith(shellFromNetworkFirst(request))
  } else if (url.pathname.startsWith('/assets/')) {
    event.respondWith(assetFromCacheFirst(request))
  }
})

// Every client route answers with the same page, so one cached copy serves them all offline.
async function shellFromNetworkFirst(request) {
  try {
    const fresh = await fetch(request)
    if (fresh.ok && (fresh.headers.get('content-type') || '').includes('text/html')) {
      await rememberShell(fresh.clone())
    }
    return fresh
  } catch {
    const cached = await caches.match(SHELL_KEY, { cacheName: SHELL_CACHE })
    return cached || Response.error()
  }
}

// A new release has a new page; the old release's hashed files are then dropped.
async function rememberShell(response) {
  const cache = await caches.open(SHELL_CACHE)
  const previous = await cache.match(SHELL_KEY)
  const text = await response.clone().text()
  if (previous && (await previous.text()) !== text) await caches.delete(ASSET_CACHE)
  await cache.put(SHELL_KEY, response)
}

// Files under /assets/ carry a content hash in their name, so a cached copy never goes stale.
async function assetFromCacheFirst(request) {
  const cache = await caches.open(ASSET_CACHE)
  const cached = await cache.match(request)
  if (cached) return cached
  const fresh = await fetch(request)
  if (fresh.ok) await cache.put(request, fresh.clone())
  return fresh
}
