// The OpenAPI document (core/http/openapi.ts) served at GET /api/v1/openapi.json: OpenAPI 3.1, every registered
// operation present with resolvable component schemas, security schemes, Idempotency-Key on idempotent operations.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { z } from 'zod';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { openApiDocument, registerApiOperation, registeredApiOperations } from '../../core/http/openapi.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('openapi');
});
afterAll(async () => {
  await app?.close();
});

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  security: unknown[];
  paths: Record<string, Record<string, { operationId: string; parameters?: { name: string; in: string; required?: boolean }[]; requestBody?: unknown; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>; security?: unknown[] }>>;
  components: { schemas: Record<string, { type?: string }>; securitySchemes: Record<string, { type: string; scheme?: string; in?: string }> };
};

/** Every $ref in the document resolves to a component schema. */
function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => refs(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x);
      else refs(x, out);
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is served without credentials as OpenAPI 3.1 JSON listing every registered operation', async () => {
    const res = await fetch(app.url + '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBe(app.config.version);
    const ops = registeredApiOperations();
    expect(ops.length).toBeGreaterThan(0);
    for (const op of ops) {
      const entry = doc.paths[op.path]?.[op.method];
      expect(entry, `${op.method.toUpperCase()} ${op.path}`).toBeDefined();
      expect(entry.operationId).toBe(op.operationId);
      for (const name of op.path.match(/\{(\w+)\}/g)?.map((s) => s.slice(1, -1)) ?? []) {
        expect(entry.parameters?.some((p) => p.in === 'path' && p.name === name && p.required), `${op.operationId}: path parameter ${name}`).toBe(true);
      }
      expect(Object.keys(entry.responses).length).toBeGreaterThan(0);
      if (op.idempotent) expect(entry.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')).toBe(true);
    }
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of refs(doc)) {
      expect(r).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[r.split('/').pop()!], r).toBeDefined();
    }
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.cookieAuth).toMatchObject({ type: 'apiKey', in: 'cookie' });
    expect(doc.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
    expect(doc.components.schemas.Error).toMatchObject({ type: 'object' });
  });

  it('describes the tree search: public, its query parameters, its response schema', async () => {
    const doc = (await (await fetch(app.url + '/api/v1/openapi.json')).json()) as Doc;
    const op = doc.paths['/api/v1/tree/search'].get;
    expect(op.operationId).toBe('searchAdminUnits');
    expect(op.security).toEqual([]);
    expect(op.parameters!.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['query:asOf', 'query:limit', 'query:province', 'query:q']);
    const ref = op.responses['200'].content!['application/json'].schema.$ref!;
    const schema = doc.components.schemas[ref.split('/').pop()!] as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual(['asOf', 'items', 'q', 'total']);
    // The document says what the endpoint answers.
    const live = await (await fetch(app.url + '/api/v1/tree/search?q=ha')).json();
    expect(Object.keys(live).sort()).toEqual(['asOf', 'items', 'q', 'total']);
  });

  it('an idempotent POST gets a JSON body schema, the Idempotency-Key header, 401/403/409 answers; ids stay unique', () => {
    registerApiOperation({
      method: 'post', path: '/api/v1/elections/{electionId}/test-things', operationId: 'createTestThing', summary: 'Tạo thử',
      idempotent: true, request: z.object({ name: z.string().min(1), count: z.number().int().optional() }),
      responses: { 201: { description: 'Đã tạo', schema: z.object({ id: z.string().uuid() }) } },
    });
    const doc = openApiDocument() as Doc;
    const op = doc.paths['/api/v1/elections/{electionId}/test-things'].post;
    expect(op.parameters).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'electionId', in: 'path', required: true }),
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    ]));
    expect(op.requestBody).toEqual({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateTestThingRequest' } } } });
    expect(doc.components.schemas.CreateTestThingRequest).toMatchObject({ type: 'object', required: ['name'] });
    expect(Object.keys(op.responses).sort()).toEqual(['201', '400', '401', '403', '409', 'default']);
    expect(op.security).toBeUndefined();
    // Registering the same operation again (another app in the process) replaces it; another path with the same id is a bug.
    expect(() => registerApiOperation({ method: 'post', path: '/api/v1/elections/{electionId}/test-things', operationId: 'createTestThing', summary: 'x', responses: { 201: { description: 'x' } } })).not.toThrow();
    expect(() => registerApiOperation({ method: 'post', path: '/api/v1/other', operationId: 'createTestThing', summary: 'x', responses: { 201: { description: 'x' } } })).toThrow(/operationId/);
    expect(() => registerApiOperation({ method: 'get', path: '/api/v1/things/:id', operationId: 'badPath', summary: 'x', responses: { 200: { description: 'x' } } })).toThrow(/\{name\}/);
  });
});
