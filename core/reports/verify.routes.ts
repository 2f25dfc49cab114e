// The public check page of a printed document: GET /v/:code shows what the code printed on the PDF refers to (title,
// stored SHA-256, who generated it and when, whether a newer version exists); POST /v/:code takes an uploaded file,
// hashes it in memory (never stored) and says "Khớp" or "Không khớp". No sign-in: the QR code is scanned by anyone
// holding the paper. The result is rendered in the POST's answer — never carried in a URL, which anyone could forge.
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Render } from '../http/render.js';
import { registerMutating } from '../http/endpoint.js';
import { recordAudit, type AuditResult } from '../audit/audit.service.js';
import { findByVerifyCode, formatVerifyCode, normalizeVerifyCode, type VerifiedArtefact } from './verify.js';

/** Audit action of a comparison (one event per POST, whatever the outcome). */
export const VERIFY_ACTION = 'core.reports.verify';
/**
 * Comparisons allowed per client address within VERIFY_WINDOW_MS: the page needs no sign-in and every comparison
 * writes an audit event, so an anonymous flood must stop before it reaches the audit log (429, not audited).
 */
export const VERIFY_LIMIT = 60;
export const VERIFY_WINDOW_MS = 10 * 60_000;

/** Largest file accepted for comparison; generated documents are far smaller. */
export const VERIFY_MAX_MB = 25;

/** "29/11/2026 14:30" in Vietnam time. */
export function vnDateTime(d: Date): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(d).map((x) => [x.type, x.value]),
  );
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

export function verifyRoutes(d: { withinLimit(key: string, limit: number, windowMs: number): Promise<boolean> }) {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: VERIFY_MAX_MB * 1024 * 1024, files: 1, fields: 5, parts: 6 },
  }).single('file');

  return (render: Render): Router => {
    const r = Router();

    function show(req: Request, res: Response, status: number, code: string | undefined, a: VerifiedArtefact | undefined, extra: Record<string, unknown> = {}): void {
      const t = req.scope.t;
      render(req, res, 'reports/verify', {
        found: !!a,
        code: code ? formatVerifyCode(code) : undefined,
        codeRaw: code,
        doc: a && {
          title: a.title,
          sha256: a.sha256,
          createdAt: vnDateTime(a.createdAt),
          createdBy: a.createdByName ?? t('reports.verify.by_system'),
          format: (a.format ?? 'pdf').toUpperCase(),
          superseded: a.newer ? t('reports.verify.superseded', { time: vnDateTime(a.newer.createdAt) }) : undefined,
          newerHref: a.newer?.verifyCode ? `/v/${a.newer.verifyCode}` : undefined,
        },
        maxMb: VERIFY_MAX_MB,
        ...extra,
      }, { status, title: t('reports.verify.title') });
    }

    r.get('/v/:code', async (req, res) => {
      const raw = String(req.params.code);
      const code = normalizeVerifyCode(raw);
      const a = code ? await findByVerifyCode(req.scope.em, code) : undefined;
      if (!a) return show(req, res, 404, code, undefined);
      // A code typed by hand ("abcde-fghij") lands on the canonical address.
      if (raw !== code) return res.redirect(301, `/v/${code}`);
      res.setHeader('Cache-Control', 'no-store');
      show(req, res, 200, code, a);
    });

    registerMutating(r, 'post', '/v/:code', VERIFY_ACTION);
    r.post('/v/:code', async (req, res) => {
      const code = normalizeVerifyCode(String(req.params.code));
      if (!(await d.withinLimit(`verify:${req.ip}`, VERIFY_LIMIT, VERIFY_WINDOW_MS))) {
        req.log?.info?.({ ip: req.ip }, 'verify rate-limited');
        res.setHeader('Retry-After', String(Math.ceil(VERIFY_WINDOW_MS / 1000)));
        const a = code ? await findByVerifyCode(req.scope.em, code) : undefined;
        return show(req, res, 429, code, a, { error: req.scope.t('reports.verify.rate_limited', { n: VERIFY_LIMIT, minutes: VERIFY_WINDOW_MS / 60_000 }) });
      }
      let uploadError: string | undefined;
      let status = 200;
      try {
        await new Promise<void>((resolve, reject) => upload(req, res, (e: unknown) => (e ? reject(e) : resolve())));
      } catch (e) {
        const tooLarge = e instanceof multer.MulterError && e.code === 'LIMIT_FILE_SIZE';
        status = tooLarge ? 413 : 400;
        uploadError = tooLarge ? 'reports.verify.too_large' : 'reports.verify.upload_failed';
      }
      const a = code ? await findByVerifyCode(req.scope.em, code) : undefined;
      if (!a) {
        await audit(req, 'rejected', undefined, { code: code ?? String(req.params.code).slice(0, 40), reason: 'unknown-code' });
        return show(req, res, 404, code, undefined);
      }
      const file = req.file;
      if (uploadError || !file) {
        await audit(req, 'rejected', a.id, { code, reason: uploadError ?? 'no-file' });
        return show(req, res, uploadError ? status : 400, code, a, { error: req.scope.t(uploadError ?? 'reports.verify.no_file', { mb: VERIFY_MAX_MB }) });
      }
      const sha256 = createHash('sha256').update(file.buffer).digest('hex');
      const match = sha256 === a.sha256;
      await audit(req, 'success', a.id, { code, match, sha256, size: file.size });
      res.setHeader('Cache-Control', 'no-store');
      show(req, res, 200, code, a, { result: { match, sha256, size: file.size } });
    });

    return r;
  };
}

/** One audit event for the request, in its own short transaction (a comparison writes nothing else). */
async function audit(req: Request, result: AuditResult, artefactId: string | undefined, after: Record<string, unknown>): Promise<void> {
  const em = req.scope.em.fork();
  await em.transactional(async (tx) => {
    await recordAudit(tx as EntityManager, {
      actor: req.scope.actor.id,
      action: VERIFY_ACTION,
      result,
      targetType: artefactId ? 'artefact' : null,
      targetId: artefactId ?? null,
      after,
      requestId: req.scope.requestId,
      ip: req.ip,
      userAgent: req.get('user-agent')?.slice(0, 200),
    });
  });
}
