import { onMounted, ref, shallowRef } from 'vue'

export interface ResourceOptions {
  immediate?: boolean
}

/** Data a view loads from one endpoint, with its loading and error states. */
export function useResource<T>(load: () => Promise<T>, options: ResourceOptions = {}) {
  const data = shallowRef<T | null>(null)
  const error = ref<unknown>(null)
  const loading = ref(false)

  async function reload(): Promise<void> {
    loading.value = true
    try {
      data.value = await load()
      error.value = null
    } catch (caught) {
      error.value = caught
    } finally {
      loading.value = false
    }
  }

  if (options.immediate !== false) onMounted(reload)
  return { data, error, loading, reload }
}
