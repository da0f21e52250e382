// What this server offers, read once from its OpenAPI schema. Views of features the server
// does not have yet show a "not available" state instead of calling missing endpoints.

export type MediaAuth =
  | { kind: 'header' }
  | { kind: 'cookie' }
  | { kind: 'query'; name: string }

export interface Capabilities {
  /** False when the schema could not be read: then every feature is assumed present. */
  known: boolean
  operations: Set<string>
  enqueueFields: Set<string>
  mediaAuth: MediaAuth
}

interface OpenApiOperation {
  security?: Record<string, string[]>[]
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> }
}
interface OpenApiSchema {
  paths?: Record<string, Record<string, OpenApiOperation>>
  components?: {
    schemas?: Record<string, { properties?: Record<string, unknown> }>
    securitySchemes?: Record<string, { type?: string; in?: string; name?: string }>
  }
}

const FILE_PATH = '/api/v1/downloads/{}/file'

export function unknownCapabilities(): Capabilities {
  return { known: false, operations: new Set(), enqueueFields: new Set(), mediaAuth: { kind: 'header' } }
}

export function normalizePath(path: string): string {
  return path.replace(/\{[^}]*\}/g, '{}').replace(/\/+$/, '')
}

export function operationKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${normalizePath(path)}`
}

export function parseCapabilities(schema: OpenApiSchema): Capabilities {
  const operations = new Set<string>()
  for (const [path, methods] of Object.entries(schema.paths ?? {})) {
    for (const method of Object.keys(methods)) operations.add(operationKey(method, path))
  }
  return { known: true, operations, enqueueFields: enqueueFields(schema), mediaAuth: mediaAuth(schema) }
}

export function supports(capabilities: Capabilities, method: string, path: string): boolean {
  return !capabilities.known || capabilities.operations.has(operationKey(method, path))
}

function findOperation(schema: OpenApiSchema, method: string, normalized: string): OpenApiOperation | undefined {
  const entry = Object.entries(schema.paths ?? {}).find(([path]) => normalizePath(path) === normalized)
  return entry?.[1][method]
}

function enqueueFields(schema: OpenApiSchema): Set<string> {
  const operation = findOperation(schema, 'post', '/api/v1/queue')
  const ref = operation?.requestBody?.content?.['application/json']?.schema?.$ref
  const name = ref?.split('/').pop()
  const properties = name ? schema.components?.schemas?.[name]?.properties : undefined
  return new Set(Object.keys(properties ?? {}))
}

// Media elements cannot send an Authorization header. If the file route also accepts a
// cookie or a query parameter, the player can stream; otherwise files are fetched whole.
function mediaAuth(schema: OpenApiSchema): MediaAuth {
  const schemes = schema.components?.securitySchemes ?? {}
  const requirements = findOperation(schema, 'get', FILE_PATH)?.security ?? []
  const offered = requirements.flatMap((requirement) => Object.keys(requirement)).map((name) => schemes[name])
  if (offered.some((scheme) => scheme?.type === 'apiKey' && scheme.in === 'cookie')) return { kind: 'cookie' }
  const query = offered.find((scheme) => scheme?.type === 'apiKey' && scheme.in === 'query')
  return query?.name ? { kind: 'query', name: query.name } : { kind: 'header' }
}
