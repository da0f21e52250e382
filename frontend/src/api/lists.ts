/** A list answer, whether the server sends a bare array or a page-like {items}. */
export type List<T> = T[] | { items: T[] }

export function listOf<T>(answer: List<T> | null | undefined): T[] {
  if (!answer) return []
  return Array.isArray(answer) ? answer : answer.items ?? []
}
