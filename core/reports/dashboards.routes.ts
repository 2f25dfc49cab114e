// Dashboards: GET /reports/dashboard (choose an election), GET /reports/dashboard/:electionId?province=&contest=
// (the page: three charts as images with their figures), GET /reports/dashboard/:electionId/:chart.svg (the chart,
// rendered on the server by ECharts SSR). Permission: core.reports.view on the nation or the province, for the election.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Render } from '../http/render.js';
import { guard, type PipelineDeps } from '../http/endpoint.js';
import { NATION, type Target } from '../auth/policy.js';
import { sql } from '../persistence/db.js';
import { AppException, appError } from '../shared/result.js';
import { VIEW_PERMISSION } from './reports.routes.js';
import { percentBars, percentLines, targetBars } from './charts.js';
import { minutesCompleteness, structureAgainstTargets, turnoutOverDay } from './dashboards.js';

const CHARTS = ['turnout', 'completeness', 'structure'] as const;
const query = z.object({
  province: z.string().regex(/^\d{2}$/).optional(),
  contest: z.enum(['national-assembly', 'provincial-council', 'commune-council']).default('national-assembly'),
});

export function dashboardRoutes(d: { pipeline: PipelineDeps }) {
  return (render: Render): Router => {
    const r = Router();

    async function context(req: Request, res: Response) {
      const electionId = String(req.params.electionId);
      const q = query.safeParse({ province: req.query.province || undefined, contest: req.query.contest || undefined });
      if (!z.string().uuid().safeParse(electionId).success || !q.success) throw new AppException(appError('NOT_FOUND', 'reports.dashboard.not_found', 404));
      const [e] = await sql<{ id: string; name: string }>(req.scope.em, `select id, name from election where id = ?`, [electionId]);
      if (!e) throw new AppException(appError('NOT_FOUND', 'reports.dashboard.not_found', 404));
      const target: Target = q.data.province ? { type: 'province', code: q.data.province, electionId } : { type: 'nation', code: NATION, electionId };
      let allowed = false;
      await guard(d.pipeline, VIEW_PERMISSION, () => target)(req, res, () => { allowed = true; });
      if (!allowed) return undefined;
      const province = q.data.province
        ? (await sql<{ code: string; name: string }>(req.scope.em, `select code, name from admin_unit where code = ? and level = 'province' order by valid_from desc limit 1`, [q.data.province]))[0]
        : undefined;
      return { election: e, contest: q.data.contest, province };
    }

    r.get('/reports/dashboard', async (req, res) => {
      if (req.scope.actor.kind === 'anonymous') return res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      const elections = await sql<{ id: string; name: string; election_day: Date }>(req.scope.em, `select id, name, election_day from election order by election_day desc limit 50`);
      render(req, res, 'reports/dashboard', { elections }, { title: req.scope.t('reports.dashboard.title'), nav: 'reports' });
    });

    r.get('/reports/dashboard/:electionId', async (req, res) => {
      const c = await context(req, res);
      if (!c) return;
      const em = req.scope.em;
      const completeness = await minutesCompleteness(em, c.election.id);
      const structure = await structureAgainstTargets(em, c.election.id, c.contest);
      const qs = new URLSearchParams({ contest: c.contest, ...(c.province ? { province: c.province.code } : {}) }).toString();
      render(req, res, 'reports/dashboard', {
        election: c.election, province: c.province, contest: c.contest,
        charts: CHARTS.map((k) => ({ key: k, src: `/reports/dashboard/${c.election.id}/${k}.svg?${qs}`, titleKey: `reports.dashboard.chart.${k}` })),
        completeness, structure,
      }, { title: `${req.scope.t('reports.dashboard.title')} — ${c.election.name}`, nav: 'reports' });
    });

    r.get('/reports/dashboard/:electionId/:chart.svg', async (req, res) => {
      const chart = String(req.params.chart);
      if (!(CHARTS as readonly string[]).includes(chart)) throw new AppException(appError('NOT_FOUND', 'reports.dashboard.not_found', 404));
      const c = await context(req, res);
      if (!c) return;
      const t = req.scope.t;
      let svg: string;
      if (chart === 'turnout') {
        const s = await turnoutOverDay(req.scope.em, c.election.id, c.contest, c.province);
        svg = percentLines({ title: t('reports.dashboard.chart.turnout'), categories: s.slots.map((x) => (x === 'close' ? t('reports.dashboard.close') : x)), series: s.series, yName: t('reports.dashboard.percent') });
      } else if (chart === 'completeness') {
        svg = percentBars({ title: t('reports.dashboard.chart.completeness'), rows: await minutesCompleteness(req.scope.em, c.election.id), xName: t('reports.dashboard.percent') });
      } else {
        const s = await structureAgainstTargets(req.scope.em, c.election.id, c.contest);
        svg = targetBars({ title: t('reports.dashboard.chart.structure'), rows: s.rows, actualName: t('reports.dashboard.actual'), targetName: t('reports.dashboard.target'), yName: t('reports.dashboard.percent') });
      }
      res.setHeader('Cache-Control', 'private, no-store');
      res.type('image/svg+xml').send(svg);
    });

    return r;
  };
}
