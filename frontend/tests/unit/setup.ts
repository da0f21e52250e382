// Browser pieces happy-dom lacks or that Vuetify expects.
import { vi } from 'vitest'

if (!('ResizeObserver' in globalThis)) {
  class ResizeObserverStub {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  }
  vi.stubGlobal('ResizeObserver', ResizeObserverStub)
}
if (!('visualViewport' in globalThis)) vi.stubGlobal('visualViewport', undefined)
