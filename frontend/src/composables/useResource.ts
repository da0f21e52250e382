import { onMounted, ref, shallowRef } from 'vue'
import { isNotAvailable } from '@/api/errors'
import { useCapabilitiesStore } from '@/stores/capabilities'

export interface ResourceOptions {
  /** [method, path] of the endpoint; when the server lacks it nothing is requested. */
  requires?: [string, string]
  immediate?: boolean
}

/**
 * Data a view loads from one endpoint, with its loading, error and "not available on this
 * server" states.
 */
export function useResource<T>(load: () => Promise<T>, options: ResourceOptions = {}) {
  const capabilities = useCapabilitiesStore()
  const data = shallowRef<T | null>(null)
  const error = ref<unknown>(null)
  const loading = ref(false)
  const unavailable = ref(false)

  async function reload(): Promise<void> {
    await capabilities.load()
    if (options.requires && !capabilities.has(...options.requires)) {
      unavailable.value = true
      return
    }
    loading.value = true
    try {
      data.value = await load()
      error.value = null
      unavailable.value = false
    } catch (caught) {
      if (isNotAvailable(caught)) unavailable.value = true
      else error.value = caught
    } finally {
      loading.value = false
    }
  }

  if (options.immediate !== false) onMounted(reload)
  return { data, error, loading, unavailable, reload }
}
