// Pages and actions of the election bodies: per election, the nation (province list with counts), a province, a
// commune, one body with its members (add / edit / remove, mark complete, reopen), the import (upload, report,
// template) and the export. Reads need core.bodies.view on the body's node (a team's polling area, a board's unit);
// writes core.bodies.manage on the node that forms it (the commune of a team, the parent of a board's unit), through
// mountAction so each is audited in its own transaction. Rules live in rules.ts, queries in store.ts.
import fs from 'node:fs';
import path from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../config/config.js';
import type { Render } from '../../http/render.js';
import { pageParams, pager } from '../../http/render.js';
import type { JobService } from '../../jobs/job.service.js';
import type { KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import { AppException, appError, err, ok, type AppError, type FieldIssue } from '../../shared/result.js';
import { newId, UUID_RE } from '../../shared/ids.js';
import { normalizeName } from '../../shared/vn-text.js';
import { sql } from '../../persistence/db.js';
import { NATION, type Target } from '../../auth/policy.js';
import { authorize, auditRefusal, mountAction, registerMutating } from '../../http/endpoint.js';
import { formatOf } from '../../admin-tree/tree-file.js';
import { ddmmyyyy } from '../calendar/dates.js';
import { computeDeadlines } from '../calendar/deadlines.js';
import { getElection } from '../elections.service.js';
import {
  BODY_KINDS, MEMBER_ROLES, ROLES_OF, TEAM_VARIANTS, defaultVariant, phoneValid,
  type BodyKind, type BodyRec, type MemberRec, type MemberRole, type TeamVariant,
} from './model.js';
import { BODY_RULES, completionIssues, errorsOf, memberIssues, ruleMessageKey, sizeRange, toFieldIssue, warningsOf, type BodyIssue, type BodyLabels } from './rules.js';
import {
  areaOf, areaTeams, committeeOf, communeSummaries, deleteMember, fieldsOf, findBody, getBody, insertBody, insertMember, loadElection, manageTarget,
  memberRec, membersOf, nodeAt, provinceSummaries, setStatus, unitBoards, unitOf, updateBodyFields, updateMember, viewTarget,
  type BodyFields, type BodyRow, type ElectionRef, type Tally,
} from './store.js';
import { parseDate } from './import-format.js';
import { getRun, recordImportRequest, sha256, type ImportScope } from './import.service.js';
import { TEMPLATE_FILE, templateCsv, templateXlsx } from './import-template.js';
import { exportBodies } from './export.js';

export interface BodiesRouteDeps {
  config: Config;
  jobs: JobService;
  access: KernelDeps['access'];
  registry: PluginRegistry;
}

export const VIEW = 'core.bodies.view';
export const MANAGE = 'core.bodies.manage';
const UPLOAD_ACTION = 'core.bodies.import.request';
const MAX_UPLOAD_MB = 20;
const uuid = z.string().uuid();
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** A target no assignment reaches (an unknown body): the policy refuses it and the refusal is audited. */
const nowhere = (electionId: string): Target => ({ type: 'commune', code: 'x', electionId });

/** Deadline ids of rule 9 per kind of body (core/elections/calendar/deadlines.ts). */
function deadlineIdOf(kind: BodyKind, unitLevel: string | null): string {
  if (kind === 'province-committee') return 'province-committees-formed';
  if (kind === 'commune-committee') return 'commune-committees-formed';
  if (kind === 'team') return 'teams-formed';
  return unitLevel === 'commune' ? 'commune-boards-formed' : 'province-boards-formed';
}

class UploadRefused extends Error {
  constructor(readonly messageKey: string, readonly params: Record<string, string | number> = {}, readonly status = 400) {
    super(messageKey);
  }
}

// --- inputs ---------------------------------------------------------------------------------------------------

const optText = (max: number) => z.string().max(max).optional().transform((v) => (v && normalizeName(v) ? normalizeName(v) : null));
const optDate = z.string().max(20).optional().transform((v, ctx) => {
  if (!v || !v.trim()) return null;
  const d = parseDate(v);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: 'date' });
    return z.NEVER;
  }
  return d;
});
const memberInput = z.object({
  id: uuid,
  bodyId: uuid,
  fullName: z.string().max(200).transform((v) => normalizeName(v)).pipe(z.string().min(1).max(120)),
  role: z.enum(MEMBER_ROLES),
  organisation: optText(300),
  phone: optText(30),
});

export function bodiesRoutes(d: BodiesRouteDeps) {
  const uploadsDir = path.join(d.config.dataDir, 'uploads', 'bodies');
  fs.mkdirSync(uploadsDir, { recursive: true });
  const upload = multer({
    storage: multer.diskStorage({ destination: uploadsDir, filename: (_req, _f, cb) => cb(null, newId()) }),
    limits: { fileSize: MAX_UPLOAD_MB * 1024 * 1024, files: 1, fields: 10, parts: 12 },
    fileFilter: (_req, file, cb) => {
      if (!formatOf(file.originalname)) cb(new UploadRefused('bodies.import.bad_type', { file: file.originalname }, 415));
      else cb(null, true);
    },
    defParamCharset: 'utf8',
  } as multer.Options);
  const p = d.access.pipeline;

  return (render: Render): Router => {
    const r = Router();
    const t = (req: Request) => req.scope.t;

    async function electionOf(req: Request, id = String(req.params.id)): Promise<ElectionRef> {
      const e = uuid.safeParse(id).success ? await loadElection(req.scope.em, d.registry, id) : undefined;
      if (!e) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
      return e;
    }

    /** Read permission on a node; an anonymous browser goes to the sign-in page (returns false). */
    async function canView(req: Request, res: Response, target: Target): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous' && req.accepts(['html', 'json']) === 'html') {
        res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        return false;
      }
      await authorize(p, req, VIEW, target);
      return true;
    }

    async function allowed(req: Request, permission: string, target: Target): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous') return false;
      return (await p.policy.decide(req.scope.em, req.scope.actor.assignments, permission, target)).allowed;
    }

    const contestTitle = (tt: Request['scope']['t'], contest: string | null) => {
      const k = `bodies.board_of.${contest}`;
      const s = tt(k);
      return s === k ? tt('bodies.board_of_other', { contest: d.registry.contestType(contest ?? '')?.shortLabel ?? contest ?? '' }) : s;
    };

    function kindLabel(tt: Request['scope']['t'], kind: BodyKind, contest: string | null): string {
      return kind === 'board' ? contestTitle(tt, contest) : tt(`bodies.kind.${kind}`);
    }

    /** The page title of a body and the place it belongs to. */
    async function describe(req: Request, e: ElectionRef, b: BodyRow) {
      const tt = t(req);
      const day = e.electionDay;
      if (b.kind === 'province-committee') {
        const n = await nodeAt(req.scope.em, day, b.province_code!, 'province');
        return { title: tt('bodies.title.committee', { name: n?.name ?? b.province_code }), place: '', province: { code: b.province_code!, name: n?.name ?? b.province_code! }, commune: undefined };
      }
      if (b.kind === 'commune-committee' || b.kind === 'team') {
        const n = await nodeAt(req.scope.em, day, b.commune_code!, 'commune');
        const province = n?.parent_code ? { code: n.parent_code, name: n.parent_name ?? n.parent_code } : undefined;
        const commune = { code: b.commune_code!, name: n?.name ?? b.commune_code! };
        if (b.kind === 'commune-committee') return { title: tt('bodies.title.committee', { name: commune.name }), place: province?.name ?? '', province, commune };
        return { title: tt('bodies.title.team', { n: b.area_number ?? '' }), place: `${b.area_name ?? ''} · ${commune.name}`, province, commune };
      }
      const level = b.unit_parent_level ?? 'province';
      const n = await nodeAt(req.scope.em, day, b.unit_parent_code ?? '', level);
      const province = level === 'province' ? { code: b.unit_parent_code!, name: n?.name ?? b.unit_parent_code! } : n?.parent_code ? { code: n.parent_code, name: n.parent_name ?? n.parent_code } : undefined;
      const commune = level === 'commune' ? { code: b.unit_parent_code!, name: n?.name ?? b.unit_parent_code! } : undefined;
      return { title: tt('bodies.title.board', { board: contestTitle(tt, b.contest), n: b.unit_number ?? '' }), place: (commune ?? province)?.name ?? '', province, commune };
    }

    function labelsFor(req: Request, body: string): BodyLabels {
      const tt = t(req);
      return {
        body,
        role: (x) => tt(`bodies.role.${x}`),
        variant: (v) => tt(`bodies.variant.${v}`),
        areaKind: (k) => tt(k === 'armed-unit' ? 'bodies.area_kind.armed' : 'bodies.area_kind.other'),
        date: (iso) => ddmmyyyy(iso),
      };
    }

    /** The formation deadline (rule 9, with the election's own N) for a body. */
    async function deadlineFor(em: EntityManager, e: ElectionRef, b: { kind: BodyKind; unit_parent_level?: string | null }): Promise<string | undefined> {
      const row = await getElection(em, e.id);
      const id = deadlineIdOf(b.kind, b.unit_parent_level ?? null);
      return computeDeadlines({ electionDay: e.electionDay, overrides: row?.deadline_overrides }).find((x) => x.def.id === id)?.date;
    }

    const bodyRec = (b: BodyRow): BodyRec => ({
      kind: b.kind, contest: b.contest, variant: b.variant, decisionNo: b.decision_no, decisionDate: b.decision_date, issuedBy: b.issued_by, formedOn: b.formed_on, areaKind: b.area_kind,
    });

    /** Rule 7 on a body as it would be (the completion check), with messages in the page's language. */
    async function checkOf(req: Request, em: EntityManager, e: ElectionRef, b: BodyRow, members: MemberRec[], fields?: BodyFields, name?: string): Promise<BodyIssue[]> {
      const title = name ?? (await describe(req, e, b)).title;
      const contest = b.contest ? e.contests.find((c) => c.id === b.contest) : undefined;
      const rec = fields ? { ...bodyRec(b), ...fields } : bodyRec(b);
      return completionIssues(rec, members, { labels: labelsFor(req, title), boardSize: contest?.boardSize, electionDay: e.electionDay, deadline: await deadlineFor(em, e, b) });
    }

    const issueView = (req: Request, i: BodyIssue | FieldIssue) => ({
      code: i.code, severity: 'severity' in i ? i.severity : BODY_RULES[i.code as keyof typeof BODY_RULES]?.severity ?? 'error',
      rule: BODY_RULES[i.code as keyof typeof BODY_RULES]?.rule ?? null, field: i.field, message: req.scope.t('messageKey' in i ? i.messageKey : ruleMessageKey(i.code), i.params),
    });

    /** A refusal of rule 7 with every problem as a field issue (JSON clients get them all; the page shows them by field). */
    const refusal = (code: string, key: string, issues: BodyIssue[], params: Record<string, string | number> = {}): AppError =>
      appError(code, key, 400, params, issues.map(toFieldIssue));

    // --- the page of one body ------------------------------------------------------------------------------

    interface BodyPageExtra {
      status?: number;
      errors?: { code: string; field?: string; message: string }[];
      fieldErrors?: Record<string, string>;
      /** Which form the errors belong to, and what was typed. */
      formKind?: 'add' | 'edit' | 'decision' | 'complete' | 'other';
      form?: Record<string, string>;
      editId?: string;
    }

    async function bodyPage(req: Request, res: Response, e: ElectionRef, b: BodyRow, x: BodyPageExtra = {}): Promise<void> {
      const tt = t(req);
      const em = req.scope.em;
      const desc = await describe(req, e, b);
      const rows = await membersOf(em, b);
      const canManage = await allowed(req, MANAGE, manageTarget(b));
      const contest = b.contest ? e.contests.find((c) => c.id === b.contest) : undefined;
      const range = sizeRange(b.kind, { variant: b.variant, boardSize: contest?.boardSize });
      // The page's own check names the body by its kind only: the heading already says which one it is.
      const check = b.status === 'none' ? [] : await checkOf(req, em, e, b, rows.map(memberRec), undefined, kindLabel(tt, b.kind, b.contest));
      const deadline = await deadlineFor(em, e, b);
      const editId = x.editId ?? (UUID_RE.test(str(req.query.edit)) ? str(req.query.edit) : undefined);
      const base = `/elections/${e.id}/bodies`;
      const roleOptions = (selected?: string) => ROLES_OF[b.kind].map((ro) => ({ value: ro, label: tt(`bodies.role.${ro}`), selected: ro === selected }));
      const leader = ROLES_OF[b.kind][0];
      const hasLeader = rows.some((m) => m.role === leader);
      const addForm = x.formKind === 'add' ? x.form ?? {} : {};
      const data = {
        election: e, base, body: { ...b, decisionDateText: b.decision_date ? ddmmyyyy(b.decision_date) : '', formedOnText: b.formed_on ? ddmmyyyy(b.formed_on) : '' },
        title: desc.title, place: desc.place, province: desc.province, commune: desc.commune,
        kindLabel: kindLabel(tt, b.kind, b.contest), statusLabel: tt(`bodies.status.${b.status}`),
        sizeText: range ? tt('bodies.size_range', { min: range.min, max: range.max }) : '', count: rows.length,
        sizeOk: range ? rows.length >= range.min && rows.length <= range.max : true,
        deadlineText: deadline ? ddmmyyyy(deadline) : '',
        isTeam: b.kind === 'team', variantLabel: b.variant ? tt(`bodies.variant.${b.variant}`) : '',
        variants: TEAM_VARIANTS.map((v) => ({ value: v, label: tt(`bodies.variant.${v}`), range: tt('bodies.size_range', { min: sizeRange('team', { variant: v })!.min, max: sizeRange('team', { variant: v })!.max }), selected: v === (x.formKind === 'decision' ? x.form?.variant : b.variant) })),
        members: rows.map((m, i) => ({
          ...m, no: i + 1, roleLabel: tt(`bodies.role.${m.role}`), isLeader: m.role === leader, editing: canManage && m.id === editId,
          roles: roleOptions(x.formKind === 'edit' && m.id === editId ? x.form?.role : m.role),
          form: x.formKind === 'edit' && m.id === editId ? x.form : undefined,
        })),
        addRoles: roleOptions(addForm.role ?? (hasLeader ? 'member' : leader)),
        addForm, decisionForm: x.formKind === 'decision' ? x.form : undefined,
        check: { errors: errorsOf(check).map((i) => issueView(req, i)), warnings: warningsOf(check).map((i) => issueView(req, i)) },
        errors: x.errors ?? [], fieldErrors: x.fieldErrors ?? {}, formKind: x.formKind ?? '',
        focusAdd: x.formKind === 'add' || req.query.added === '1',
        canManage, csrfToken: res.locals.csrfToken ?? '',
        isNone: b.status === 'none', isComplete: b.status === 'complete', isDraft: b.status === 'draft',
        parentHref: desc.commune ? `${base}/commune/${desc.commune.code}` : desc.province ? `${base}/province/${desc.province.code}` : base,
      };
      render(req, res, 'bodies/body', data, { title: `${desc.title}${desc.place ? ' · ' + desc.place : ''}`, nav: 'elections', status: x.status });
    }

    /** The body of a request (by :bodyId, in :id's election), or 404. */
    async function bodyOf(req: Request, e: ElectionRef): Promise<BodyRow> {
      const id = String(req.params.bodyId);
      const b = UUID_RE.test(id) ? await getBody(req.scope.em, id) : undefined;
      if (!b || b.election_id !== e.id) throw new AppException(appError('NOT_FOUND', 'bodies.not_found', 404));
      return b;
    }

    // --- the nation ----------------------------------------------------------------------------------------

    const sum = (xs: Tally[]): Tally => xs.reduce((a, x) => ({ formed: a.formed + x.formed, expected: a.expected + x.expected, drafts: a.drafts + x.drafts }), { formed: 0, expected: 0, drafts: 0 });
    const tallyView = (x: Tally) => ({ ...x, missing: Math.max(0, x.expected - x.formed), done: x.expected > 0 && x.formed >= x.expected, none: x.expected === 0 });

    r.get('/elections/:id/bodies', async (req, res) => {
      const e = await electionOf(req);
      const nation: Target = { type: 'nation', code: NATION, electionId: e.id };
      if (req.scope.actor.kind !== 'anonymous' && !(await allowed(req, VIEW, nation))) {
        // A scoped account starts at its own province, commune, board or team.
        for (const a of req.scope.actor.assignments.filter((x) => !x.electionId || x.electionId === e.id)) {
          if (a.scopeType === 'province') return res.redirect(303, `/elections/${e.id}/bodies/province/${a.scopeCode}`);
          if (a.scopeType === 'commune') return res.redirect(303, `/elections/${e.id}/bodies/commune/${a.scopeCode}`);
          if (a.scopeType === 'electoral-unit' || a.scopeType === 'polling-area') {
            const b = await findBody(req.scope.em, e.id, a.scopeType === 'electoral-unit' ? { kind: 'board', unitId: a.scopeCode } : { kind: 'team', areaId: a.scopeCode });
            if (b) return res.redirect(303, `/elections/${e.id}/bodies/${b.id}`);
          }
        }
      }
      if (!(await canView(req, res, nation))) return;
      const rows = await provinceSummaries(req.scope.em, e);
      const totals = {
        committees: { formed: rows.filter((x) => x.committee?.status === 'complete').length, expected: rows.length, drafts: rows.filter((x) => x.committee?.status === 'draft').length },
        communeCommittees: sum(rows.map((x) => x.communeCommittees)), boards: sum(rows.map((x) => x.boards)), teams: sum(rows.map((x) => x.teams)),
      };
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ electionId: e.id, totals, provinces: rows });
        return;
      }
      render(req, res, 'bodies/index', {
        election: e, base: `/elections/${e.id}/bodies`,
        totals: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, tallyView(v)])),
        provinces: rows.map((x) => ({ ...x, communeCommittees: tallyView(x.communeCommittees), boards: tallyView(x.boards), teams: tallyView(x.teams), committeeStatus: x.committee ? t(req)(`bodies.status.${x.committee.status}`) : '' })),
        canImport: await allowed(req, MANAGE, nation),
      }, { title: t(req)('bodies.title_election', { name: e.name }), nav: 'elections' });
    });

    // --- a province ------------------------------------------------------------------------------------------

    r.get('/elections/:id/bodies/province/:code', async (req, res) => {
      const e = await electionOf(req);
      const code = String(req.params.code);
      const province = /^\d{2}$/.test(code) ? await nodeAt(req.scope.em, e.electionDay, code, 'province') : undefined;
      if (!province) throw new AppException(appError('NOT_FOUND', 'bodies.node_not_found', 404));
      const target: Target = { type: 'province', code, electionId: e.id };
      if (!(await canView(req, res, target))) return;
      const em = req.scope.em;
      const tt = t(req);
      const [summary] = await provinceSummaries(em, e, code);
      const committee = await committeeOf(em, e.id, 'province', code);
      const boards = await unitBoards(em, e, 'province', code);
      const communes = await communeSummaries(em, e, code);
      const canManage = await allowed(req, MANAGE, target);
      const groups = e.contests.filter((c) => c.unitLevel === 'province').map((c) => ({
        id: c.id, label: contestTitle(tt, c.id), size: tt('bodies.size_range', { min: c.boardSize.min, max: c.boardSize.max }),
        units: boards.filter((u) => u.contest === c.id).map((u) => ({ ...u, statusLabel: u.board ? tt(`bodies.status.${u.board.status}`) : '' })),
      }));
      render(req, res, 'bodies/province', {
        election: e, base: `/elections/${e.id}/bodies`, province, groups, csrfToken: res.locals.csrfToken ?? '', canManage,
        committee: committee ? { ...committee, statusLabel: tt(`bodies.status.${committee.status}`) } : null,
        committeeTitle: tt('bodies.title.committee', { name: province.name }), committeeSize: tt('bodies.size_range', { min: 23, max: 37 }),
        summary: summary ? { communeCommittees: tallyView(summary.communeCommittees), boards: tallyView(summary.boards), teams: tallyView(summary.teams) } : undefined,
        communes: communes.map((c) => ({ ...c, boards: tallyView(c.boards), teams: tallyView(c.teams), committeeStatus: c.committee ? tt(`bodies.status.${c.committee.status}`) : '' })),
        hasCommuneContest: e.contests.some((c) => c.unitLevel === 'commune'),
      }, { title: `${tt('bodies.title')} · ${province.name}`, nav: 'elections' });
    });

    // --- a commune -------------------------------------------------------------------------------------------

    r.get('/elections/:id/bodies/commune/:code', async (req, res) => {
      const e = await electionOf(req);
      const code = String(req.params.code);
      const commune = /^\d{5}$/.test(code) ? await nodeAt(req.scope.em, e.electionDay, code, 'commune') : undefined;
      if (!commune) throw new AppException(appError('NOT_FOUND', 'bodies.node_not_found', 404));
      const target: Target = { type: 'commune', code, electionId: e.id };
      if (!(await canView(req, res, target))) return;
      const em = req.scope.em;
      const tt = t(req);
      const committee = await committeeOf(em, e.id, 'commune', code);
      const boards = await unitBoards(em, e, 'commune', code);
      const areas = await areaTeams(em, e.id, code);
      const canManage = await allowed(req, MANAGE, target);
      const groups = e.contests.filter((c) => c.unitLevel === 'commune').map((c) => ({
        id: c.id, label: contestTitle(tt, c.id), size: tt('bodies.size_range', { min: c.boardSize.min, max: c.boardSize.max }),
        units: boards.filter((u) => u.contest === c.id).map((u) => ({ ...u, statusLabel: u.board ? tt(`bodies.status.${u.board.status}`) : '' })),
      }));
      const teamsFormed = areas.filter((a) => a.team?.status === 'complete').length;
      render(req, res, 'bodies/commune', {
        election: e, base: `/elections/${e.id}/bodies`, commune, groups, csrfToken: res.locals.csrfToken ?? '', canManage,
        committee: committee ? { ...committee, statusLabel: tt(`bodies.status.${committee.status}`) } : null,
        committeeTitle: tt('bodies.title.committee', { name: commune.name }), committeeSize: tt('bodies.size_range', { min: 9, max: 17 }),
        areas: areas.map((a) => ({
          ...a, armed: a.kind === 'armed-unit', statusLabel: a.team ? tt(`bodies.status.${a.team.status}`) : '',
          variantLabel: a.team?.variant ? tt(`bodies.variant.${a.team.variant}`) : tt(`bodies.variant.${defaultVariant(a.kind)}`),
        })),
        teams: tallyView({ formed: teamsFormed, expected: areas.length, drafts: areas.filter((a) => a.team?.status === 'draft').length }),
      }, { title: `${tt('bodies.title')} · ${commune.name}`, nav: 'elections' });
    });

    // --- import, template, export (before /:bodyId) --------------------------------------------------------------

    /** Scopes the actor may import into (its manage assignments), nation first. */
    function manageScopes(req: Request, e: ElectionRef): ImportScope[] {
      const roles = p.policy.permission(MANAGE)?.roles ?? [];
      const out: ImportScope[] = [];
      for (const a of req.scope.actor.assignments) {
        if (!roles.includes(a.role) || (a.electionId && a.electionId !== e.id)) continue;
        if ((a.scopeType === 'nation' || a.scopeType === 'province' || a.scopeType === 'commune') && !out.some((o) => o.type === a.scopeType && o.code === a.scopeCode)) {
          out.push({ type: a.scopeType, code: a.scopeCode });
        }
      }
      return out.sort((a, b) => ['nation', 'province', 'commune'].indexOf(a.type) - ['nation', 'province', 'commune'].indexOf(b.type));
    }

    async function importPage(req: Request, res: Response, e: ElectionRef, status = 200, error?: string) {
      const scopes = manageScopes(req, e);
      const names = new Map<string, string>();
      for (const s of scopes) if (s.type !== 'nation') names.set(s.code, (await nodeAt(req.scope.em, e.electionDay, s.code, s.type))?.name ?? s.code);
      const { page, size, offset } = pageParams(req.query, 20);
      const mine = !scopes.some((s) => s.type === 'nation');
      const where = mine ? 'and created_by = ?' : '';
      const args = mine ? [e.id, req.scope.actor.id] : [e.id];
      const runs = await sql<Record<string, unknown>>(req.scope.em,
        `select id, status, scope_type, scope_code, file->>'fileName' as file_name, rows_total, (summary->>'added')::int + (summary->>'changed')::int as changed,
                (summary->>'noChanges')::boolean as no_changes, (report->>'errorCount')::int as error_count, created_at
           from body_import_run where election_id = ? ${where} order by created_at desc limit ? offset ?`, [...args, size, offset]);
      const [{ n }] = await sql<{ n: number }>(req.scope.em, `select count(*)::int as n from body_import_run where election_id = ? ${where}`, args);
      render(req, res, 'bodies/import', {
        election: e, base: `/elections/${e.id}/bodies`, maxMb: MAX_UPLOAD_MB, csrfToken: res.locals.csrfToken ?? '',
        scopes: scopes.map((s) => ({ value: s.type === 'nation' ? '' : s.code, label: s.type === 'nation' ? t(req)('bodies.nation') : `${names.get(s.code)} (${s.code})` })),
        runs, page: pager(page, size, n),
      }, { title: t(req)('bodies.import.title'), nav: 'elections', status, flash: error ? { kind: 'error', text: error } : undefined });
    }

    r.get('/elections/:id/bodies/import', async (req, res) => {
      const e = await electionOf(req);
      if (req.scope.actor.kind === 'anonymous') return void res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      // No manage assignment at all: the same denial (audited) as any other refused page.
      if (!manageScopes(req, e).length) await authorize(p, req, MANAGE, { type: 'nation', code: NATION, electionId: e.id });
      await importPage(req, res, e);
    });

    r.get('/elections/:id/bodies/import/template.:ext', async (req, res) => {
      const e = await electionOf(req);
      // A blank template is no secret: any signed-in account may download one.
      if (req.scope.actor.kind === 'anonymous') {
        if (req.accepts(['html', 'json']) === 'html') return void res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
      }
      if (req.params.ext === 'csv') res.type('text/csv; charset=utf-8').attachment(`${TEMPLATE_FILE}.csv`).send(templateCsv(e.contests));
      else if (req.params.ext === 'xlsx') res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`${TEMPLATE_FILE}.xlsx`).send(await templateXlsx(e.contests));
      else throw new AppException(appError('NOT_FOUND', 'error.not_found', 404));
    });

    const uploadInput = z.object({ scope: z.string().regex(/^(\d{2}|\d{5})?$/).optional().default('') }).strict();

    registerMutating(r, 'post', '/elections/:id/bodies/import', UPLOAD_ACTION);
    r.post('/elections/:id/bodies/import', async (req, res) => {
      const id = String(req.params.id);
      const refuse = async (status: number, key: string, params: Record<string, string | number> = {}, e?: ElectionRef) => {
        if (req.file?.path) fs.rmSync(req.file.path, { force: true });
        await auditRefusal(req, UPLOAD_ACTION, 'rejected', undefined, { status, key });
        if (!e) throw new AppException(appError(status === 404 ? 'NOT_FOUND' : 'INPUT_INVALID', key, status, params));
        return importPage(req, res, e, status, req.scope.t(key, params));
      };
      if (req.scope.actor.kind === 'anonymous') {
        await auditRefusal(req, UPLOAD_ACTION, 'denied', undefined, { reason: 'anonymous' });
        throw new AppException(appError('AUTH_REQUIRED', 'auth.login_required', 401));
      }
      const e = uuid.safeParse(id).success ? await loadElection(req.scope.em, d.registry, id) : undefined;
      if (!e) return refuse(404, 'elections.not_found');
      // Structure is open only in the election's early phases (core/elections/phases.ts).
      const gate = await p.formGate?.(req.scope.em, e.id, 'structure');
      if (gate && !gate.open) return refuse(409, 'elections.form_closed', { phase: req.scope.t(gate.phaseKey) }, e);
      try {
        await new Promise<void>((resolve, reject) => upload.single('file')(req, res, (x: unknown) => (x ? reject(x) : resolve())));
      } catch (x) {
        if (x instanceof UploadRefused) return refuse(x.status, x.messageKey, x.params, e);
        if (x instanceof multer.MulterError) return refuse(x.code === 'LIMIT_FILE_SIZE' ? 413 : 400, x.code === 'LIMIT_FILE_SIZE' ? 'bodies.import.too_large' : 'bodies.import.upload_failed', { mb: MAX_UPLOAD_MB }, e);
        throw x;
      }
      const parsed = uploadInput.safeParse(req.body ?? {});
      if (!parsed.success) return refuse(400, 'bodies.import.bad_form', {}, e);
      const code = parsed.data.scope;
      const scope: ImportScope = code.length === 2 ? { type: 'province', code } : code.length === 5 ? { type: 'commune', code } : { type: 'nation', code: NATION };
      try {
        await authorize(p, req, MANAGE, { type: scope.type, code: scope.code, electionId: e.id });
      } catch (x) {
        if (req.file?.path) fs.rmSync(req.file.path, { force: true });
        throw x;
      }
      const file = req.file;
      if (!file) return refuse(400, 'bodies.import.no_file', {}, e);
      if (file.size === 0) return refuse(400, 'bodies.import.empty_file', { file: file.originalname }, e);
      const buf = await fs.promises.readFile(file.path);
      const isZip = buf.length >= 4 && buf.readUInt32BE(0) === 0x504b0304;
      const fmt = formatOf(file.originalname)!;
      if ((fmt === 'xlsx') !== isZip) return refuse(400, 'bodies.import.bad_content', { file: file.originalname, ext: '.' + fmt }, e);
      const out = await req.scope.em.fork().transactional((tx) => recordImportRequest(tx as EntityManager, d.jobs, {
        electionId: e.id, scope, file: { source: file.path, fileName: file.originalname, size: file.size, sha256: sha256(buf) }, createdBy: req.scope.actor.id,
        requestId: req.scope.requestId, ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null,
      }));
      await d.jobs.dispatch(out.jobRunId);
      res.redirect(303, `/elections/${e.id}/bodies/imports/${out.runId}`);
    });

    r.get('/elections/:id/bodies/imports/:runId', async (req, res) => {
      const e = await electionOf(req);
      const runId = String(req.params.runId);
      const run = UUID_RE.test(runId) ? await getRun(req.scope.em, runId) : undefined;
      if (!run || run.election_id !== e.id) throw new AppException(appError('NOT_FOUND', 'bodies.import.not_found', 404));
      // Whoever started it, or anyone who may read the bodies of its scope.
      if (run.created_by !== req.scope.actor.id && !(await canView(req, res, { type: run.scope_type, code: run.scope_code, electionId: e.id }))) return;
      const show = (i: FieldIssue) => ({ ...i, message: req.scope.t(i.messageKey, i.params) });
      const errors = (run.report?.errors ?? []).map(show);
      const warnings = (run.report?.warnings ?? []).map(show);
      if (req.accepts(['html', 'json']) === 'json') {
        res.json({ id: run.id, status: run.status, rowsTotal: run.rows_total, summary: run.summary, errorCount: run.report?.errorCount ?? 0, truncated: run.report?.truncated ?? 0, errors, warnings, jobRunId: run.job_run_id });
        return;
      }
      const { page, size, offset } = pageParams(req.query, 50);
      const job = run.status === 'queued' || run.status === 'running' ? (run.job_run_id ? await d.jobs.get(run.job_run_id) : undefined) : undefined;
      render(req, res, 'bodies/import-report', {
        election: e, base: `/elections/${e.id}/bodies`, run, errors: errors.slice(offset, offset + size), errorTotal: run.report?.errorCount ?? 0,
        page: errors.length > size ? pager(page, size, errors.length) : undefined, warnings: warnings.slice(0, 500), warningTotal: warnings.length,
        truncated: run.report?.truncated ?? 0, job, failedError: run.summary?.error,
      }, { title: t(req)('bodies.import.report_title'), nav: 'elections' });
    });

    r.get('/elections/:id/bodies/export.xlsx', async (req, res) => {
      const e = await electionOf(req);
      const province = /^\d{2}$/.test(str(req.query.province)) ? str(req.query.province) : undefined;
      const commune = /^\d{5}$/.test(str(req.query.commune)) ? str(req.query.commune) : undefined;
      const target: Target = commune ? { type: 'commune', code: commune, electionId: e.id } : province ? { type: 'province', code: province, electionId: e.id } : { type: 'nation', code: NATION, electionId: e.id };
      if (!(await canView(req, res, target))) return;
      await exportBodies(req.scope.em, res, e, { province: commune ? undefined : province, commune });
    });

    // --- actions ---------------------------------------------------------------------------------------------

    // Forming a body: a committee of a province or commune, the board of a unit, the team of a polling area — or the
    // record that a commune has no committee (rule 1 [U]). Rule 8: a second body for the same node is refused.
    const createInput = z.object({
      id: uuid,
      kind: z.enum(BODY_KINDS),
      code: z.string().regex(/^\d{2}(\d{3})?$/).optional(),
      unitId: uuid.optional(),
      areaId: uuid.optional(),
      none: z.literal('1').optional(),
      reason: optText(300),
    }).strict();
    type CreateInput = z.infer<typeof createInput>;

    async function createTarget(i: CreateInput, em: EntityManager): Promise<Target> {
      if (i.kind === 'province-committee') return i.code?.length === 2 ? { type: 'province', code: i.code, electionId: i.id } : nowhere(i.id);
      if (i.kind === 'commune-committee') return i.code?.length === 5 ? { type: 'commune', code: i.code, electionId: i.id } : nowhere(i.id);
      if (i.kind === 'board') {
        const u = i.unitId ? await unitOf(em, i.id, i.unitId) : undefined;
        return u ? { type: u.parent_level, code: u.parent_code, electionId: i.id } : nowhere(i.id);
      }
      const a = i.areaId ? await areaOf(em, i.id, i.areaId) : undefined;
      return a ? { type: 'commune', code: a.commune_code, electionId: i.id } : nowhere(i.id);
    }

    mountAction(r, p, {
      id: 'core.bodies.create',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/bodies',
      permission: MANAGE,
      input: createInput,
      target: (i, _req, em) => createTarget(i, em),
      handle: async (i, ctx) => {
        const e = await loadElection(ctx.em, d.registry, i.id);
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        let node: Parameters<typeof findBody>[2];
        let contest: string | undefined;
        let communeCode: string | undefined;
        let variant: TeamVariant | undefined;
        if (i.kind === 'province-committee') {
          if (!(await nodeAt(ctx.em, e.electionDay, i.code!, 'province'))) return err(appError('NOT_FOUND', 'bodies.node_not_found', 404));
          node = { kind: i.kind, provinceCode: i.code! };
        } else if (i.kind === 'commune-committee') {
          if (!(await nodeAt(ctx.em, e.electionDay, i.code!, 'commune'))) return err(appError('NOT_FOUND', 'bodies.node_not_found', 404));
          node = { kind: i.kind, communeCode: i.code! };
        } else if (i.kind === 'board') {
          const u = (await unitOf(ctx.em, e.id, i.unitId!))!;
          if (!e.contests.some((c) => c.id === u.contest)) return err(appError('CONTEST_NOT_HELD', 'bodies.error.contest_not_held', 400));
          node = { kind: 'board', unitId: u.id };
          contest = u.contest;
        } else {
          const a = (await areaOf(ctx.em, e.id, i.areaId!))!;
          node = { kind: 'team', areaId: a.id };
          communeCode = a.commune_code;
          variant = defaultVariant(a.kind);
        }
        if (i.none && i.kind !== 'commune-committee') return err(appError('BODY_NONE_KIND', 'bodies.error.none_kind', 400, undefined, [{ field: 'none', code: 'BODY_NONE_KIND', messageKey: 'bodies.error.none_kind' }]));
        if (i.none && !i.reason) return err(appError('BODY_NONE_REASON', 'bodies.error.none_reason', 400, undefined, [{ field: 'reason', code: 'BODY_NONE_REASON', messageKey: 'bodies.error.none_reason' }]));
        const existing = await findBody(ctx.em, e.id, node);
        if (existing) {
          return err(appError('BODY_EXISTS', 'bodies.error.exists', 409, { kind: ctx.t(`bodies.kind.${i.kind}`) }, [{ field: 'kind', code: 'BODY_EXISTS', messageKey: 'bodies.error.exists', params: { kind: ctx.t(`bodies.kind.${i.kind}`) } }]));
        }
        const id = await insertBody(ctx.em, {
          electionId: e.id, node, contest, communeCode, variant, status: i.none ? 'none' : 'draft', noneReason: i.none ? i.reason : null, createdBy: ctx.actor.id,
        });
        return ok({
          targetType: 'election_body', targetId: id, after: { kind: i.kind, node, contest, variant, status: i.none ? 'none' : 'draft', reason: i.none ? i.reason : undefined },
          redirect: `/elections/${e.id}/bodies/${id}`, flash: ctx.t(i.none ? 'bodies.flash.none_recorded' : 'bodies.flash.created'),
          status: 201, json: ctx.req.accepts(['html', 'json']) === 'json' ? { id } : undefined,
        });
      },
    });

    /** Target of an action on an existing body: the node that forms it; an unknown body reaches nobody. */
    const bodyTarget = async (i: { id: string; bodyId: string }, em: EntityManager): Promise<Target> => {
      const b = await getBody(em, i.bodyId);
      return b && b.election_id === i.id ? manageTarget(b) : nowhere(i.id);
    };

    /** Loads the body (locked) and the election inside the action's transaction. */
    async function lockBody(em: EntityManager, i: { id: string; bodyId: string }) {
      const e = await loadElection(em, d.registry, i.id);
      const b = await getBody(em, i.bodyId, true);
      if (!e || !b || b.election_id !== i.id) return undefined;
      return { e, b };
    }

    /** After a change to a complete body: the completion rules must still hold, or the change is refused. */
    async function stillComplete(req: Request, em: EntityManager, e: ElectionRef, b: BodyRow, members: MemberRec[], fields?: BodyFields): Promise<AppError | undefined> {
      if (b.status !== 'complete') return undefined;
      const errors = errorsOf(await checkOf(req, em, e, b, members, fields));
      return errors.length ? refusal(errors[0].code, 'bodies.error.would_break', errors, { count: errors.length }) : undefined;
    }

    const json = (req: Request, v: unknown) => (req.accepts(['html', 'json']) === 'json' ? v : undefined);
    const notFound = () => err(appError('NOT_FOUND', 'bodies.not_found', 404));
    const noneRefused = () => err(appError('BODY_IS_NONE', 'bodies.error.is_none', 400));

    /** The member checks of rule 7 and the phone format, on the list as it would be. */
    function memberRefusal(req: Request, b: BodyRow, title: string, list: MemberRec[], changed: number, phone: string | null): AppError | undefined {
      const issues: BodyIssue[] = memberIssues(b.kind, list, labelsFor(req, title)).filter((x) => x.severity === 'error' && x.member === changed);
      const details = issues.map(toFieldIssue);
      if (phone && !phoneValid(phone)) details.push({ field: 'phone', code: 'BODY_PHONE_FORMAT', messageKey: 'bodies.error.phone', params: { value: phone } });
      return details.length ? appError(details[0].code, details[0].messageKey, 400, details[0].params, details) : undefined;
    }

    mountAction(r, p, {
      id: 'core.bodies.update',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/bodies/:bodyId/decision',
      permission: MANAGE,
      input: z.object({ id: uuid, bodyId: uuid, decisionNo: optText(100), decisionDate: optDate, issuedBy: optText(300), formedOn: optDate, variant: z.enum(TEAM_VARIANTS).optional() }).strict(),
      target: (i, _req, em) => bodyTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockBody(ctx.em, i);
        if (!l) return notFound();
        const { e, b } = l;
        if (b.status === 'none') return noneRefused();
        const before = fieldsOf(b);
        const after: BodyFields = { decisionNo: i.decisionNo, decisionDate: i.decisionDate, issuedBy: i.issuedBy, formedOn: i.formedOn, variant: b.kind === 'team' ? i.variant ?? b.variant : null };
        for (const [field, v] of [['decisionDate', after.decisionDate], ['formedOn', after.formedOn]] as const) {
          if (v && v > e.electionDay) {
            const params = { date: ddmmyyyy(v), day: ddmmyyyy(e.electionDay) };
            return err(appError('BODY_DATE_AFTER_ELECTION', ruleMessageKey('BODY_DATE_AFTER_ELECTION'), 400, params, [{ field, code: 'BODY_DATE_AFTER_ELECTION', messageKey: ruleMessageKey('BODY_DATE_AFTER_ELECTION'), params }]));
          }
        }
        const refused = await stillComplete(ctx.req, ctx.em, e, b, (await membersOf(ctx.em, b)).map(memberRec), after);
        if (refused) return err(refused);
        await updateBodyFields(ctx.em, b.id, after);
        return ok({ targetType: 'election_body', targetId: b.id, before, after, redirect: `/elections/${e.id}/bodies/${b.id}`, flash: ctx.t('bodies.flash.saved'), json: json(ctx.req, { ok: true }) });
      },
    });

    mountAction(r, p, {
      id: 'core.bodies.member.add',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/bodies/:bodyId/members',
      permission: MANAGE,
      input: memberInput.strict(),
      target: (i, _req, em) => bodyTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockBody(ctx.em, i);
        if (!l) return notFound();
        const { e, b } = l;
        if (b.status === 'none') return noneRefused();
        const rec: MemberRec = { fullName: i.fullName, role: i.role as MemberRole, organisation: i.organisation, phone: i.phone };
        const list = [...(await membersOf(ctx.em, b)).map(memberRec), rec];
        const { title } = await describe(ctx.req, e, b);
        const refused = memberRefusal(ctx.req, b, title, list, list.length - 1, i.phone) ?? (await stillComplete(ctx.req, ctx.em, e, b, list));
        if (refused) return err(refused);
        const memberId = await insertMember(ctx.em, b.id, rec);
        return ok({
          targetType: 'body_member', targetId: memberId, after: { bodyId: b.id, ...rec }, // No fragment: a URL fragment turns autofocus off, and the name box must have the focus for the next person.
          redirect: `/elections/${e.id}/bodies/${b.id}?added=1`,
          flash: ctx.t('bodies.flash.member_added', { name: i.fullName, n: list.length }), status: 201, json: json(ctx.req, { id: memberId }),
        });
      },
    });

    mountAction(r, p, {
      id: 'core.bodies.member.update',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/bodies/:bodyId/members/:memberId',
      permission: MANAGE,
      input: memberInput.extend({ memberId: uuid }).strict(),
      target: (i, _req, em) => bodyTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockBody(ctx.em, i);
        if (!l) return notFound();
        const { e, b } = l;
        const rows = await membersOf(ctx.em, b);
        const at = rows.findIndex((m) => m.id === i.memberId);
        if (at < 0) return err(appError('NOT_FOUND', 'bodies.member_not_found', 404));
        const rec: MemberRec = { id: i.memberId, fullName: i.fullName, role: i.role as MemberRole, organisation: i.organisation, phone: i.phone };
        const list = rows.map(memberRec);
        const before = list[at];
        list[at] = rec;
        const { title } = await describe(ctx.req, e, b);
        const refused = memberRefusal(ctx.req, b, title, list, at, i.phone) ?? (await stillComplete(ctx.req, ctx.em, e, b, list));
        if (refused) return err(refused);
        await updateMember(ctx.em, i.memberId, rec);
        return ok({ targetType: 'body_member', targetId: i.memberId, before, after: rec, redirect: `/elections/${e.id}/bodies/${b.id}#m-${i.memberId}`, flash: ctx.t('bodies.flash.member_saved', { name: i.fullName }), json: json(ctx.req, { ok: true }) });
      },
    });

    mountAction(r, p, {
      id: 'core.bodies.member.remove',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/bodies/:bodyId/members/:memberId/delete',
      permission: MANAGE,
      input: z.object({ id: uuid, bodyId: uuid, memberId: uuid }).strict(),
      target: (i, _req, em) => bodyTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockBody(ctx.em, i);
        if (!l) return notFound();
        const { e, b } = l;
        const rows = await membersOf(ctx.em, b);
        const gone = rows.find((m) => m.id === i.memberId);
        if (!gone) return err(appError('NOT_FOUND', 'bodies.member_not_found', 404));
        const refused = await stillComplete(ctx.req, ctx.em, e, b, rows.filter((m) => m.id !== i.memberId).map(memberRec));
        if (refused) return err(refused);
        await deleteMember(ctx.em, i.memberId);
        return ok({ targetType: 'body_member', targetId: i.memberId, before: { bodyId: b.id, ...memberRec(gone) }, redirect: `/elections/${e.id}/bodies/${b.id}#members`, flash: ctx.t('bodies.flash.member_removed', { name: gone.full_name }), json: json(ctx.req, { ok: true }) });
      },
    });

    // draft → complete: rule 7 in full; refused with every problem, each with its code and field.
    mountAction(r, p, {
      id: 'core.bodies.complete',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/bodies/:bodyId/complete',
      permission: MANAGE,
      input: z.object({ id: uuid, bodyId: uuid }).strict(),
      target: (i, _req, em) => bodyTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockBody(ctx.em, i);
        if (!l) return notFound();
        const { e, b } = l;
        if (b.status === 'none') return noneRefused();
        if (b.status === 'complete') return err(appError('BODY_ALREADY_COMPLETE', 'bodies.error.already_complete', 409));
        const members = (await membersOf(ctx.em, b)).map(memberRec);
        const issues = await checkOf(ctx.req, ctx.em, e, b, members);
        const errors = errorsOf(issues);
        if (errors.length) return err(refusal(errors[0].code, 'bodies.error.complete_refused', errors, { count: errors.length }));
        await setStatus(ctx.em, b.id, 'complete', ctx.actor.id);
        const warnings = warningsOf(issues);
        return ok({
          targetType: 'election_body', targetId: b.id, before: { status: b.status }, after: { status: 'complete', members: members.length, warnings: warnings.map((w) => w.code) },
          redirect: `/elections/${e.id}/bodies/${b.id}`, flash: ctx.t(warnings.length ? 'bodies.flash.completed_with_warnings' : 'bodies.flash.completed', { n: warnings.length }),
          json: json(ctx.req, { status: 'complete', warnings: warnings.map((w) => ({ code: w.code, field: w.field, message: ctx.t(ruleMessageKey(w.code), w.params) })) }),
        });
      },
    });

    mountAction(r, p, {
      id: 'core.bodies.reopen',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/bodies/:bodyId/reopen',
      permission: MANAGE,
      input: z.object({ id: uuid, bodyId: uuid }).strict(),
      target: (i, _req, em) => bodyTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockBody(ctx.em, i);
        if (!l) return notFound();
        const { e, b } = l;
        if (b.status !== 'complete') return err(appError('BODY_NOT_COMPLETE', 'bodies.error.not_complete', 409));
        await setStatus(ctx.em, b.id, 'draft', ctx.actor.id);
        return ok({ targetType: 'election_body', targetId: b.id, before: { status: 'complete' }, after: { status: 'draft' }, redirect: `/elections/${e.id}/bodies/${b.id}`, flash: ctx.t('bodies.flash.reopened'), json: json(ctx.req, { status: 'draft' }) });
      },
    });

    mountAction(r, p, {
      id: 'core.bodies.delete',
      form: 'structure',
      method: 'post',
      path: '/elections/:id/bodies/:bodyId/delete',
      permission: MANAGE,
      input: z.object({ id: uuid, bodyId: uuid }).strict(),
      target: (i, _req, em) => bodyTarget(i, em),
      handle: async (i, ctx) => {
        const l = await lockBody(ctx.em, i);
        if (!l) return notFound();
        const { e, b } = l;
        // A complete body is reopened first: deleting what counts as formed is a deliberate two-step act.
        if (b.status === 'complete') return err(appError('BODY_COMPLETE_DELETE', 'bodies.error.complete_delete', 409));
        const members = await membersOf(ctx.em, b);
        await sql(ctx.em, `delete from election_body where id = ?`, [b.id]);
        const desc = await describe(ctx.req, e, b);
        return ok({
          targetType: 'election_body', targetId: b.id, before: { kind: b.kind, status: b.status, members: members.length, ...fieldsOf(b) },
          redirect: desc.commune ? `/elections/${e.id}/bodies/commune/${desc.commune.code}` : desc.province ? `/elections/${e.id}/bodies/province/${desc.province.code}` : `/elections/${e.id}/bodies`,
          flash: ctx.t('bodies.flash.deleted', { title: desc.title }), json: json(ctx.req, { ok: true }),
        });
      },
    });

    // --- one body (last: :bodyId would match the words above) ---------------------------------------------------

    r.get('/elections/:id/bodies/:bodyId', async (req, res, next) => {
      if (!UUID_RE.test(String(req.params.bodyId))) return next();
      const e = await electionOf(req);
      const b = await bodyOf(req, e);
      if (!(await canView(req, res, viewTarget(b)))) return;
      if (req.accepts(['html', 'json']) === 'json') {
        const members = await membersOf(req.scope.em, b);
        const issues = b.status === 'none' ? [] : await checkOf(req, req.scope.em, e, b, members.map(memberRec));
        const desc = await describe(req, e, b);
        res.json({ ...b, title: desc.title, members, issues: issues.map((i) => issueView(req, i)) });
        return;
      }
      await bodyPage(req, res, e, b);
    });

    // A refused form on a body's page comes back as that page, with what was typed and each message by its field
    // (status 400/409); other errors, and API clients, go on to the error boundary. The refusal is already audited.
    r.use('/elections/:id/bodies/:bodyId', async (x: unknown, req: Request, res: Response, next: NextFunction) => {
      if (!(x instanceof AppException) || req.method !== 'POST' || ![400, 409].includes(x.appError.status ?? 400) || req.accepts(['html', 'json']) !== 'html'
        || !UUID_RE.test(String(req.params.bodyId)) || !UUID_RE.test(String(req.params.id))) return next(x);
      try {
        const e = await electionOf(req);
        const b = await getBody(req.scope.em, String(req.params.bodyId));
        if (!b || b.election_id !== e.id) return next(x);
        const rest = req.path.replace(/^\/+/, '');
        const formKind = rest === 'members' ? 'add' : /^members\/[^/]+$/.test(rest) ? 'edit' : rest === 'decision' ? 'decision' : rest === 'complete' ? 'complete' : 'other';
        const issues = x.appError.details?.length ? x.appError.details : [{ code: x.appError.code, messageKey: x.appError.messageKey, params: x.appError.params }];
        const fieldErrors: Record<string, string> = {};
        const errors = issues.map((i) => {
          const label = i.field ? req.scope.t(`bodies.field.${i.field}`) : '';
          // Schema failures name the field by its label; rule failures carry their own sentence.
          const message = i.code.startsWith('INPUT_') ? req.scope.t('bodies.error.field_invalid', { field: label || i.field || '-' }) : req.scope.t(i.messageKey, i.params);
          if (i.field && !fieldErrors[i.field]) fieldErrors[i.field] = message;
          return { code: i.code, field: i.field, message };
        });
        const form = Object.fromEntries(Object.entries((req.body ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
        const editId = formKind === 'edit' ? rest.split('/')[1] : undefined;
        await bodyPage(req, res, e, b, { status: x.appError.status ?? 400, errors, fieldErrors, formKind, form, editId });
      } catch (x2) {
        next(x2);
      }
    });

    return r;
  };
}
