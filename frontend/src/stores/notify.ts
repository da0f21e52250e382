// Short messages at the bottom of the screen: what just happened, or why it did not.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { describeError } from '@/api/errors'

export interface Toast {
  id: number
  text: string
  color: 'success' | 'error' | 'info' | 'warning'
  timeout: number
}

let nextId = 1

export const useNotifyStore = defineStore('notify', () => {
  const toasts = ref<Toast[]>([])

  function push(text: string, color: Toast['color'], timeout = 4000): void {
    toasts.value.push({ id: nextId++, text, color, timeout })
    if (toasts.value.length > 5) toasts.value.shift()
  }

  return {
    toasts,
    success: (text: string) => push(text, 'success'),
    info: (text: string) => push(text, 'info'),
    warning: (text: string) => push(text, 'warning', 6000),
    error: (error: unknown) => push(describeError(error), 'error', 8000),
    dismiss: (id: number) => { toasts.value = toasts.value.filter((toast) => toast.id !== id) },
  }
})
