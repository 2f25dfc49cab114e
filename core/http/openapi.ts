// The OpenAPI 3.1 description of /api/v1: modules register each operation (with its zod schemas) when they build
// their routes; GET /api/v1/openapi.json serves the document built from that registry (docs/api.md).
import { z } from 'zod';
import { IDEMPOTENCY_HEADER } from './idempotency.js';

export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI style: /api/v1/elections/{electionId}/... */
  path: string;
  operationId: string;
  summary: string;
  tags?: string[];
  /** GET/DELETE: the query parameters (an object schema); POST/PUT: the JSON body. */
  request?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Accepts an Idempotency-Key header (core/http/idempotency.ts). */
  idempotent?: boolean;
  /** Callable without credentials (security: []); default: a Bearer token or a session cookie. */
  public?: boolean;
  /** Longer Markdown description. */
  description?: string;
  /** The body is multipart/form-data (uploads) rather than JSON. */
  multipart?: boolean;
}

const REGISTRY = new Map<string, ApiOperation>();

/**
 * Adds an operation to the document. Registering the same method and path again replaces it (several apps boot in
 * one test process); reusing an operationId for another method or path is a programming error.
 */
export function registerApiOperation(op: ApiOperation): void {
  if (!op.path.startsWith('/api/')) throw new Error(`openapi: ${op.operationId}: path must start with /api/ (${op.path})`);
  if (/:\w+/.test(op.path)) throw new Error(`openapi: ${op.operationId}: use {name}, not :name, in ${op.path}`);
  const key = `${op.method} ${op.path}`;
  for (const [k, o] of REGISTRY) {
    if (o.operationId === op.operationId && k !== key) throw new Error(`openapi: operationId ${op.operationId} used by ${k} and ${key}`);
  }
  REGISTRY.set(key, op);
}

/** Every registered operation (tests check each appears in the document). */
export function registeredApiOperations(): ApiOperation[] {
  return [...REGISTRY.values()];
}

type Json = Record<string, unknown>;

function jsonSchema(s: z.ZodType, io: 'input' | 'output'): Json {
  // Transforms and dates have no JSON Schema of their own: described as "any" rather than failing the document.
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete out.$schema;
  return out;
}

const pascal = (s: string) => s.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _p, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');

const ERROR_SCHEMA: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable machine-readable code, e.g. INPUT_INVALID, FORBIDDEN, IDEMPOTENCY_KEY_REUSED.' },
        message: { type: 'string', description: 'Human-readable message in the request language (Vietnamese by default, ?lang=en).' },
        errorId: { type: 'string', description: 'Id to quote to support; the details are in the server log.' },
        details: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              field: { type: 'string' }, row: { type: 'integer' }, column: { type: 'string' },
              code: { type: 'string' }, messageKey: { type: 'string' }, message: { type: 'string' }, params: { type: 'object' },
            },
          },
        },
      },
    },
  },
};

/** OpenAPI 3.1: components from z.toJSONSchema, bearer + cookie security schemes, Idempotency-Key on idempotent ops. */
export function openApiDocument(info: { version?: string; serverUrl?: string } = {}): object {
  const schemas: Record<string, Json> = { Error: ERROR_SCHEMA };
  const paths: Record<string, Record<string, Json>> = {};
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const ops = [...REGISTRY.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  for (const op of ops) {
    const base = pascal(op.operationId);
    const parameters: Json[] = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    let requestBody: Json | undefined;
    if (op.request) {
      const s = jsonSchema(op.request, 'input');
      if (op.method === 'get' || op.method === 'delete') {
        const props = (s.properties ?? {}) as Record<string, Json>;
        const required = new Set((s.required as string[] | undefined) ?? []);
        for (const [name, schema] of Object.entries(props)) {
          if (parameters.some((p) => p.name === name)) continue;
          parameters.push({ name, in: 'query', required: required.has(name), schema, ...(schema.description ? { description: schema.description } : {}) });
        }
      } else {
        schemas[`${base}Request`] = s;
        requestBody = { required: true, content: { [op.multipart ? 'multipart/form-data' : 'application/json']: { schema: ref(`${base}Request`) } } };
      }
    }
    if (op.idempotent) {
      parameters.push({
        name: IDEMPOTENCY_HEADER, in: 'header', required: false,
        description: '1–200 visible ASCII characters, unique per change (a UUID). A retry with the same key and body gets the first response again (header Idempotent-Replayed: true) without repeating the change; the same key with another body → 409 IDEMPOTENCY_KEY_REUSED. Kept 24 hours.',
        schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7E]+$' },
      });
    }
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(op.responses)) {
      const entry: Json = { description: r.description };
      if (r.schema) {
        schemas[`${base}Response${status}`] = jsonSchema(r.schema, 'output');
        entry.content = { 'application/json': { schema: ref(`${base}Response${status}`) } };
      } else if (Number(status) >= 400) {
        entry.content = { 'application/json': { schema: ref('Error') } };
      }
      if (op.idempotent && Number(status) < 300) {
        entry.headers = { 'Idempotent-Replayed': { description: 'true when this is the stored response of an earlier request with the same key.', schema: { type: 'string', enum: ['true'] } } };
      }
      responses[status] = entry;
    }
    if (op.request && !responses['400']) responses['400'] = { description: 'Invalid input (details name each field)', content: { 'application/json': { schema: ref('Error') } } };
    if (!op.public) {
      responses['401'] ??= { description: 'Missing, invalid, expired or revoked credentials', content: { 'application/json': { schema: ref('Error') } } };
      responses['403'] ??= { description: 'Not allowed on this target (role or scope)', content: { 'application/json': { schema: ref('Error') } } };
    }
    if (op.idempotent) responses['409'] ??= { description: 'IDEMPOTENCY_KEY_REUSED (same key, different request) or IDEMPOTENCY_IN_PROGRESS', content: { 'application/json': { schema: ref('Error') } } };
    responses.default = { description: 'Error', content: { 'application/json': { schema: ref('Error') } } };
    const operation: Json = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.tags?.length ? { tags: op.tags } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
      ...(op.public ? { security: [] } : {}),
    };
    (paths[op.path] ??= {})[op.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'baucu API',
      version: info.version ?? '1',
      description: 'Giao diện lập trình cho phần mềm kết nối / API for machine clients. Xem docs/api.md: xác thực bằng Bearer token, Idempotency-Key, dạng lỗi.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearerAuth: [] }, { cookieAuth: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'bct_…', description: 'API token created on /account/tokens: Authorization: Bearer bct_… (no CSRF token needed).' },
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'baucu_sid', description: 'Browser session; state-changing requests also need the CSRF token (X-CSRF-Token).' },
      },
    },
  };
}
