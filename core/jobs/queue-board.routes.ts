// Queue monitoring for system administrators (issue 8 point 7): bull-board at /admin/queues, behind the same session
// and second factor as every page (guard on core.queues.view, held by system-admin only), READ-ONLY — retrying,
// promoting, cleaning or adding jobs from there would be writes that bypass the endpoint pipeline and its audit,
// and the database (job_run) is the record anyway. With the in-process transport there is no queue: a short page says so.
import { Router, type RequestHandler } from 'express';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { CoreModule, KernelDeps } from '../kernel/module.js';
import type { Catalogue } from '../shared/i18n.js';
import { auditRefusal, guard } from '../http/endpoint.js';
import { AppException, appError } from '../shared/result.js';
import { NATION } from '../auth/policy.js';

export const QUEUES_PERMISSION = 'core.queues.view';
export const QUEUES_PATH = '/admin/queues';
/** Audit action of a refused attempt to change a queue from the board. */
export const QUEUES_CHANGE_ACTION = 'core.queues.change';

const MESSAGES: Catalogue = {
  vi: {
    'queues.title': 'Giám sát hàng đợi',
    'queues.in_process': 'Tác vụ nền đang chạy ngay trong tiến trình của ứng dụng (không cấu hình REDIS_URL), nên không có hàng đợi BullMQ nào để theo dõi.',
    'queues.see_jobs': 'Tiến độ và lỗi của từng tác vụ vẫn xem được trên trang Tác vụ nền.',
    'queues.back': 'Về trang Tác vụ nền',
    'queues.read_only': 'Trang giám sát hàng đợi chỉ để xem: không thể thay đổi hàng đợi từ đây.',
  },
  en: {
    'queues.title': 'Queue monitoring',
    'queues.in_process': 'Background jobs run inside the application process (no REDIS_URL configured), so there is no BullMQ queue to monitor.',
    'queues.see_jobs': 'Each job\'s progress and errors are still on the Background jobs page.',
    'queues.back': 'Back to Background jobs',
    'queues.read_only': 'The queue board is read-only: queues cannot be changed from here.',
  },
};

/** The board module; `queue` is the BullMQ queue when the transport is BullMQ, undefined in-process. */
export function createQueueBoardModule(d: KernelDeps, queue: Queue | undefined): CoreModule {
  const nation = () => ({ type: 'nation' as const, code: NATION });
  return {
    id: 'queues',
    messages: MESSAGES,
    routes: (render) => {
      const r = Router();
      const only = guard(d.access.pipeline, QUEUES_PERMISSION, nation);
      if (!queue) {
        r.get(QUEUES_PATH, only, (req, res) => render(req, res, 'jobs/queues', {}, { title: req.scope.t('queues.title'), nav: 'jobs' }));
        return r;
      }
      const adapter = new ExpressAdapter();
      adapter.setBasePath(QUEUES_PATH);
      createBullBoard({
        queues: [new BullMQAdapter(queue, { readOnlyMode: true, allowRetries: false })],
        serverAdapter: adapter,
        options: {
          uiConfig: {
            boardTitle: 'baucu',
            hideDocsLink: true,
            locale: { lng: 'en-US' },
            miscLinks: [{ text: '← /jobs', url: '/jobs' }],
          },
        },
      });
      // The application's strict CSP stays in force here (checked in Chromium, test/browser/reports.browser.test.ts):
      // the board's scripts and stylesheet are files under /admin/queues/static; what the policy blocks is only
      // cosmetic (the "Loading" placeholder's inline styles, a <style> inside the inline Redis logo, Google Fonts).
      // Read-only twice over: bull-board's queues are readOnlyMode, and no request other than GET/HEAD reaches it —
      // a refused change is recorded like any other refusal (one audit event per request).
      const readOnly: RequestHandler = async (req, _res, next) => {
        if (req.method === 'GET' || req.method === 'HEAD') return next();
        await auditRefusal(req, QUEUES_CHANGE_ACTION, 'rejected', nation(), { method: req.method, path: req.originalUrl.slice(0, 200) });
        throw new AppException(appError('READ_ONLY', 'queues.read_only', 405));
      };
      r.use(QUEUES_PATH, only, readOnly, adapter.getRouter() as unknown as RequestHandler);
      return r;
    },
  };
}
