import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import { type Capabilities, parseCapabilities, supports, unknownCapabilities } from '@/api/capabilities'

const SCHEMA_PATH = '/api/v1/openapi.json'

export const useCapabilitiesStore = defineStore('capabilities', () => {
  const current = shallowRef<Capabilities>(unknownCapabilities())
  let loading: Promise<void> | null = null

  async function fetchSchema(): Promise<void> {
    try {
      const response = await fetch(SCHEMA_PATH, { headers: { Accept: 'application/json' } })
      if (response.ok) current.value = parseCapabilities(await response.json())
    } catch {
      // Without the schema every feature is assumed present; a missing one then answers 404
      // and its view says so.
    }
  }

  return {
    current,
    load: () => (loading ??= fetchSchema()),
    has: (method: string, path: string) => supports(current.value, method, path),
    enqueueField: (name: string) => current.value.enqueueFields.has(name),
  }
})
