// The machine-client surface as a core module: GET /api/v1/openapi.json (public: it describes the interface, holds
// no data), the api.* messages (idempotency refusals), and the OpenAPI entries of core read endpoints.
import { Router } from 'express';
import { z } from 'zod';
import type { CoreModule, KernelDeps } from '../kernel/module.js';
import type { Catalogue } from '../shared/i18n.js';
import { openApiDocument, registerApiOperation } from './openapi.js';

export const API_MESSAGES: Catalogue = {
  vi: {
    'api.idempotency_reused': 'Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác (khác nội dung hoặc địa chỉ). Mỗi thay đổi cần một khóa riêng.',
    'api.idempotency_in_progress': 'Một yêu cầu khác với cùng Idempotency-Key đang được xử lý. Hãy thử lại sau giây lát.',
    'api.idempotency_invalid': 'Idempotency-Key không hợp lệ: cần từ 1 đến 200 ký tự ASCII nhìn thấy được (không dấu cách).',
    'api.idempotency_required': 'Yêu cầu này cần tiêu đề Idempotency-Key (ví dụ một UUID mới cho mỗi thay đổi).',
  },
  en: {
    'api.idempotency_reused': 'This Idempotency-Key was already used for a different request (other body or path). Use a new key for each change.',
    'api.idempotency_in_progress': 'Another request with the same Idempotency-Key is being processed. Retry in a moment.',
    'api.idempotency_invalid': 'Invalid Idempotency-Key: 1 to 200 visible ASCII characters (no spaces).',
    'api.idempotency_required': 'This request needs an Idempotency-Key header (e.g. a new UUID for each change).',
  },
};

/** GET /api/v1/tree/search (core/admin-tree/admin-tree.routes.ts), as it answers. */
function registerCoreOperations(): void {
  registerApiOperation({
    method: 'get',
    path: '/api/v1/tree/search',
    operationId: 'searchAdminUnits',
    summary: 'Tìm đơn vị hành chính theo tên (có dấu hoặc không) hoặc mã / search administrative units',
    tags: ['admin-tree'],
    public: true,
    request: z.object({
      q: z.string().max(100).optional().describe('Tên hoặc mã, ví dụ «ba dinh» / name or code prefix'),
      asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().describe('Ngày hiệu lực YYYY-MM-DD (mặc định hôm nay)'),
      province: z.string().regex(/^\d{2}$/).optional().describe('Chỉ trong tỉnh có mã này'),
      limit: z.coerce.number().int().min(1).max(50).optional().describe('Số kết quả, 1–50 (mặc định 10)'),
    }),
    responses: {
      200: {
        description: 'Các đơn vị khớp, sắp theo tên / matching units, by name',
        schema: z.object({
          asOf: z.string(),
          q: z.string(),
          total: z.number().int(),
          items: z.array(z.object({
            code: z.string(), name: z.string(), type: z.string(), level: z.string(),
            parentCode: z.string().nullable(), parentName: z.string().nullable(), href: z.string(),
          })),
        }),
      },
      400: { description: 'BAD_DATE: asOf không phải ngày YYYY-MM-DD' },
    },
  });
}

export function createApiModule(d: KernelDeps): CoreModule {
  registerCoreOperations();
  return {
    id: 'api',
    messages: API_MESSAGES,
    routes: () => {
      const r = Router();
      r.get('/api/v1/openapi.json', (_req, res) => {
        res.setHeader('Cache-Control', 'no-cache');
        res.json(openApiDocument({ version: d.config.version }));
      });
      return r;
    },
  };
}
