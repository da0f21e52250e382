import { describe, expect, it } from 'vitest'
import { parseCapabilities, supports, unknownCapabilities } from '@/api/capabilities'

const schema = (security: Record<string, string[]>[], schemes: Record<string, object> = {}) => ({
  paths: {
    '/api/v1/queue': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/EnqueueRequest' } } } } } },
    '/api/v1/scheduler/jobs/{job_id}/run': { post: {} },
    '/api/v1/downloads/{download_id}/file': { get: { security } },
  },
  components: {
    schemas: { EnqueueRequest: { properties: { url: {}, quality: {}, not_before: {} } } },
    securitySchemes: { HTTPBearer: { type: 'http' }, ...schemes },
  },
})

describe('capabilities from the OpenAPI schema', () => {
  it('knows which operations exist, whatever the path parameters are called', () => {
    const capabilities = parseCapabilities(schema([{ HTTPBearer: [] }]))
    expect(supports(capabilities, 'POST', '/api/v1/scheduler/jobs/{id}/run')).toBe(true)
    expect(supports(capabilities, 'GET', '/api/v1/stats/overview')).toBe(false)
    expect(capabilities.enqueueFields.has('not_before')).toBe(true)
  })

  it('streams media only when the file route takes a cookie or a query token', () => {
    expect(parseCapabilities(schema([{ HTTPBearer: [] }])).mediaAuth).toEqual({ kind: 'header' })
    expect(parseCapabilities(schema([{ HTTPBearer: [] }, { Media: [] }], { Media: { type: 'apiKey', in: 'cookie', name: 'm' } })).mediaAuth).toEqual({ kind: 'cookie' })
    expect(parseCapabilities(schema([{ Media: [] }], { Media: { type: 'apiKey', in: 'query', name: 'token' } })).mediaAuth).toEqual({ kind: 'query', name: 'token' })
  })

  it('assumes everything exists when the schema could not be read', () => {
    expect(supports(unknownCapabilities(), 'GET', '/api/v1/anything')).toBe(true)
  })
})
