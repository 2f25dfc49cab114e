// Pages and actions of candidate dossiers and consultation (issue 5 points 1–3, 7): the search (accent-free, filters,
// pages, sort), the dossier page (fields, documents, rule 19 checklist, rule 20 warning, history, conferences), the
// create/edit form (optimistic version), documents through the file store, dossier status moves, consultation moves
// with reasons, voter conferences, and the consultation board per council with its rounds. Reads need
// core.candidates.view on the candidate (scope.ts) or the council's node; writes core.candidates.manage, each through
// mountAction (audited, one transaction). Personal data only with core.candidates.personal-data, never in audit
// details, job payloads or logs.
import { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Render } from '../../http/render.js';
import { pageParams, pager } from '../../http/render.js';
import type { KernelDeps } from '../../kernel/module.js';
import type { PluginRegistry } from '../../plugin-host/registry.js';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import { AppException, appError, err, ok, type FieldIssue } from '../../shared/result.js';
import { normalizeName } from '../../shared/vn-text.js';
import { formatPercent } from '../../shared/percent.js';
import { sql } from '../../persistence/db.js';
import { NATION, type Target } from '../../auth/policy.js';
import { CORE_PERMISSIONS } from '../../auth/roles.js';
import { authorize, auditRefusal, mountAction } from '../../http/endpoint.js';
import { fileError } from '../../files/file-store.js';
import { contestsOf, getElection, type ElectionRow } from '../elections.service.js';
import { groupPersons, checkBodiesPerPerson, type CandidateIssue } from './rules.js';
import { codesFor, createInput, editInput, formOf, PERSONAL_FIELDS, ROUTES, validateDossier, parseFormDate, type DossierValues } from './dossier.js';
import { ALLOWED, DOSSIER_MOVES, MAX_DOCUMENT_MB, PERSONAL_KINDS, UPLOAD_KINDS, checklist, type CandidateFileStore, type DossierStatus } from './documents.js';
import { BOARD_STATUSES, MOVES, MOVE_IDS, conferenceIssues, conferencePercents, type Move } from './consultation.js';
import { candidateTarget, councilNode, scopeFilter } from './scope.js';
import { UUID_RE } from '../../shared/ids.js';
import {
  SORTS, addEvent, boardCandidates, conferencesOf, councilsInScope, deleteDocument, documentsOf, eventsOf, getCandidate, getDocument,
  insertCandidate, insertConference, insertDocument, insertRound, possibleSamePersons, roundsOf, searchCandidates, setDossierStatus,
  setStatus, updateCandidate, type CandidateRow, type StandingRow,
} from './store.js';

export const VIEW = 'core.candidates.view';
export const MANAGE = 'core.candidates.manage';
export const PERSONAL = 'core.candidates.personal-data';

export interface CandidatesRouteDeps {
  access: KernelDeps['access'];
  registry: PluginRegistry;
  /** The file store (deps.files); documents cannot be uploaded or served without it. */
  files: () => CandidateFileStore | undefined;
}

const uuid = z.string().uuid();
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const rolesOf = (perm: string) => CORE_PERMISSIONS.find((p) => p.id === perm)?.roles ?? [];
const fieldIssue = (field: string, code: string, params: Record<string, string | number> = {}): FieldIssue =>
  ({ field, code, messageKey: `candidates.form.${code}`, params: { field: `candidates.field.${field}`, ...params } });
/** A refused form: each issue names its field by the label the user sees (params.field is a message key). */
const invalid = (t: (k: string, p?: Record<string, unknown>) => string, details: FieldIssue[]) =>
  err(appError('INPUT_INVALID', 'candidates.form.invalid', 400, { n: details.length }, details.map((x) => (typeof x.params?.field === 'string' && x.params.field.startsWith('candidates.field.') ? { ...x, params: { ...x.params, field: t(x.params.field) } } : x))));
const notFound = () => new AppException(appError('NOT_FOUND', 'candidates.not_found', 404));
/** Audit details of a dossier: what identifies it, never the personal data (only which personal fields changed). */
const auditView = (v: Partial<DossierValues> & { contest?: string; council_code?: string }) => ({
  fullName: v.full_name, dateOfBirth: v.date_of_birth, gender: v.gender, contest: v.contest, council: v.council_code, nominatedBy: v.nominated_by,
});

export function candidatesRoutes(d: CandidatesRouteDeps) {
  const p = d.access.pipeline;
  const upload = multer({
    storage: multer.memoryStorage(),
    // The file store enforces MAX_DOCUMENT_MB (refusal audited in the action); multer only stops absurd bodies.
    limits: { fileSize: (MAX_DOCUMENT_MB + 1) * 1024 * 1024, files: 1, fields: 10, parts: 12 },
    defParamCharset: 'utf8',
  } as multer.Options);

  return (render: Render): Router => {
    const r = Router();

    async function electionOf(req: Request, id = String(req.params.id)): Promise<ElectionRow> {
      const e = uuid.safeParse(id).success ? await getElection(req.scope.em, id) : undefined;
      if (!e) throw new AppException(appError('NOT_FOUND', 'elections.not_found', 404));
      return e;
    }
    async function contestsHeld(em: EntityManager, electionId: string): Promise<ContestTypeDef[]> {
      const order = d.registry.plugins().map((x) => x.id);
      return (await contestsOf(em, electionId, order)).map((c) => d.registry.contestType(c)).filter((c): c is ContestTypeDef => !!c);
    }
    async function allowed(req: Request, permission: string, target: Target): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous') return false;
      return (await p.policy.decide(req.scope.em, req.scope.actor.assignments, permission, target)).allowed;
    }
    /** Reads: anonymous browsers go to sign in (false); a denial is audited and answered 403. */
    async function canView(req: Request, res: Response, target: Target): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous' && req.accepts(['html', 'json']) === 'html') {
        res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        return false;
      }
      await authorize(p, req, VIEW, target);
      return true;
    }
    /** The candidate of the URL (404 if not in this election), after the read permission on it. */
    async function candidateOf(req: Request, res: Response, e: ElectionRow): Promise<CandidateRow | undefined> {
      const cid = String(req.params.cid);
      const c = UUID_RE.test(cid) ? await getCandidate(req.scope.em, e.id, cid) : undefined;
      if (!c) throw notFound();
      if (!(await canView(req, res, candidateTarget(c.id, e.id)))) return undefined;
      return c;
    }
    const contestLabel = (req: Request, id: string) => {
      const ct = d.registry.contestType(id);
      return ct ? req.scope.t(ct.titleKey) : id;
    };
    const bodyOf = (s: { contest: string; council_code: string }) => (s.contest === 'national-assembly' ? s.contest : `${s.contest}:${s.council_code}`);

    /** Rule 20 for some candidates: id → the warning, for those whose person stands for more than two bodies. */
    async function tooManyBodies(em: EntityManager, electionId: string, rows: readonly { id: string; date_of_birth: string | null; id_number: string | null }[]): Promise<Map<string, CandidateIssue>> {
      const pool: StandingRow[] = await possibleSamePersons(em, electionId, rows);
      const out = new Map<string, CandidateIssue>();
      const persons = pool.map((s) => ({ fullName: s.full_name, dateOfBirth: s.date_of_birth ?? s.date_of_birth_text ?? undefined, idNumber: s.id_number ?? undefined }));
      for (const group of groupPersons(persons)) {
        const standings = group.map((i) => ({ person: persons[i], body: bodyOf(pool[i]) }));
        const [warning] = checkBodiesPerPerson(standings);
        if (warning) for (const i of group) out.set(pool[i].id, warning);
      }
      return out;
    }

    /**
     * Lists (search, board index): anyone holding the read permission somewhere sees what their scope reaches (the
     * SQL filter of scope.ts); without it anywhere, the nation check refuses and audits. Anonymous → sign in.
     */
    async function mayList(req: Request, res: Response, e: ElectionRow): Promise<boolean> {
      if (req.scope.actor.kind === 'anonymous') {
        res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
        return false;
      }
      if (!req.scope.actor.assignments.some((a) => rolesOf(VIEW).includes(a.role as never))) await authorize(p, req, VIEW, { type: 'nation', code: NATION, electionId: e.id });
      return true;
    }

    // --- search -------------------------------------------------------------------------------------------------
    r.get('/elections/:id/candidates', async (req, res) => {
      const e = await electionOf(req);
      if (!(await mayList(req, res, e))) return;
      const q = req.query as Record<string, unknown>;
      const contests = await contestsHeld(req.scope.em, e.id);
      const f = {
        q: str(q.q).slice(0, 100), contest: contests.some((c) => c.id === q.contest) ? str(q.contest) : '', council: /^(VN|\d{2}|\d{5})$/.test(str(q.council)) ? str(q.council) : '',
        status: (BOARD_STATUSES as readonly string[]).includes(str(q.status)) ? str(q.status) : '', gender: ['male', 'female'].includes(str(q.gender)) ? str(q.gender) : '',
        nominatedBy: (ROUTES as readonly string[]).includes(str(q.nominatedBy)) ? str(q.nominatedBy) : '',
        dossierStatus: Object.keys(DOSSIER_MOVES).includes(str(q.dossierStatus)) ? str(q.dossierStatus) : '',
      };
      const sort = Object.keys(SORTS).includes(str(q.sort)) ? str(q.sort) : 'name';
      const dir = q.dir === 'desc' ? 'desc' : 'asc';
      const { page, size, offset } = pageParams(q, 50);
      const scope = scopeFilter(req.scope.actor.assignments, rolesOf(VIEW), e.id);
      const { rows, total } = await searchCandidates(req.scope.em, e.id, scope, f, { sort, dir, limit: size, offset });
      const warnings = await tooManyBodies(req.scope.em, e.id, rows);
      const tt = req.scope.t;
      // "New dossier" per contest only where the actor can file one: a commune its own council; a province its
      // council, its communes' and its NA candidates; the nation all (the action checks the exact node again).
      const managing = req.scope.actor.assignments.filter((a) => rolesOf(MANAGE).includes(a.role as never) && (!a.electionId || a.electionId === e.id));
      const canCreateFor = (contest: string) => managing.some((a) => a.scopeType === 'nation' || a.scopeType === 'province' || (a.scopeType === 'commune' && contest === 'commune-council'));
      const canCreate = managing.length > 0;
      render(req, res, 'candidates/index', {
        election: e, base: `/elections/${e.id}/candidates`, f, sort, dir, canCreate,
        contests: contests.map((c) => ({ id: c.id, label: tt(c.titleKey), selected: c.id === f.contest, canCreate: canCreateFor(c.id) })),
        statuses: BOARD_STATUSES.map((s) => ({ id: s, label: tt(`candidates.status.${s}`), selected: s === f.status })),
        dossierStatuses: Object.keys(DOSSIER_MOVES).map((s) => ({ id: s, label: tt(`candidates.dossier.${s}`), selected: s === f.dossierStatus })),
        routes: ROUTES.map((s) => ({ id: s, label: tt(`candidates.route.${s}`), selected: s === f.nominatedBy })),
        rows: rows.map((c) => ({
          ...c, contestLabel: d.registry.contestType(c.contest)?.shortLabel ?? c.contest, statusLabel: tt(`candidates.status.${c.status}`), dossierLabel: tt(`candidates.dossier.${c.dossier_status}`),
          genderLabel: tt(`candidates.gender.${c.gender}`), routeLabel: tt(`candidates.route.${c.nominated_by}`), dob: c.date_of_birth_text ?? c.date_of_birth ?? '',
          council: c.council_code === 'VN' ? tt('candidates.council.nation') : c.council_name ?? c.council_code,
          warning: warnings.has(c.id) ? tt(warnings.get(c.id)!.messageKey, warnings.get(c.id)!.params) : '',
        })),
        page: pager(page, size, total), filtered: !!(f.q || f.contest || f.council || f.status || f.gender || f.nominatedBy || f.dossierStatus),
      }, { title: `${tt('candidates.title')} · ${e.name}`, nav: 'elections' });
    });

    // --- the form -----------------------------------------------------------------------------------------------
    async function formPage(req: Request, res: Response, e: ElectionRow, contest: ContestTypeDef, values: Record<string, unknown>, o: { candidate?: CandidateRow; withPersonal: boolean; errors?: { field?: string; message: string; anchor?: string }[]; status?: number }) {
      const tt = req.scope.t;
      render(req, res, 'candidates/form', {
        election: e, base: `/elections/${e.id}/candidates`, contest: { id: contest.id, label: tt(contest.titleKey), na: contest.id === 'national-assembly', forms: contest.dossierForms, sets: contest.dossierSets },
        candidate: o.candidate, withPersonal: o.withPersonal, v: values, csrfToken: res.locals.csrfToken ?? '',
        routes: ROUTES.filter((x) => x !== 'central' || contest.id === 'national-assembly').map((x) => ({ id: x, label: tt(`candidates.route.${x}`), checked: values.nominatedBy === x })),
        councilLabel: tt(contest.id === 'national-assembly' ? 'candidates.field.filingProvince' : contest.id === 'commune-council' ? 'candidates.field.councilCommune' : 'candidates.field.councilProvince'),
        errors: o.errors ?? [],
      }, { title: o.candidate ? tt('candidates.edit_title', { name: o.candidate.full_name }) : tt('candidates.new_title'), nav: 'elections', status: o.status });
    }

    r.get('/elections/:id/candidates/new', async (req, res) => {
      const e = await electionOf(req);
      const contests = await contestsHeld(req.scope.em, e.id);
      const contest = contests.find((c) => c.id === req.query.contest) ?? contests[0];
      if (!contest) throw new AppException(appError('NOT_FOUND', 'candidates.no_contest', 404));
      // The form is offered to anyone who may file candidates somewhere; the action checks the council's node.
      if (req.scope.actor.kind === 'anonymous') return void res.redirect(303, `/auth/login?next=${encodeURIComponent(req.originalUrl)}`);
      if (!req.scope.actor.assignments.some((a) => rolesOf(MANAGE).includes(a.role as never))) await authorize(p, req, MANAGE, { type: 'nation', code: NATION, electionId: e.id });
      const own = req.scope.actor.assignments.find((a) => a.scopeType === 'commune' || a.scopeType === 'province');
      const withPersonal = req.scope.actor.assignments.some((a) => rolesOf(PERSONAL).includes(a.role as never));
      await formPage(req, res, e, contest, { nationality: 'Việt Nam', councilCode: contest.id === 'commune-council' && own?.scopeType === 'commune' ? own.scopeCode : contest.id !== 'commune-council' && own?.scopeType === 'province' ? own.scopeCode : '' }, { withPersonal });
    });

    /** Does a council/province code exist at the contest's level (as in force on election day)? */
    async function councilExists(em: EntityManager, e: ElectionRow, contest: string, code: string): Promise<boolean> {
      const level = contest === 'commune-council' ? 'commune' : 'province';
      const [x] = await sql(em, `select 1 from admin_unit where code = ? and level = ? and valid_from <= ?::date and (valid_to is null or valid_to > ?::date)`, [code, level, e.election_day, e.election_day]);
      return !!x;
    }

    mountAction(r, p, {
      id: 'core.candidates.create', method: 'post', path: '/elections/:id/candidates', permission: MANAGE, input: createInput, form: 'candidates',
      // An unknown council code resolves to the nation: nation-wide officials then get the field error, others a denial.
      target: async (i, _req, em) => {
        const t = createTarget(i);
        return t.type === 'nation' || (await p.policy.exists(em, t)) ? t : { type: 'nation', code: NATION, electionId: i.id };
      },
      handle: async (i, ctx) => {
        const e = await getElection(ctx.em, i.id);
        if (!e) return err(appError('NOT_FOUND', 'elections.not_found', 404));
        const contest = (await contestsHeld(ctx.em, e.id)).find((c) => c.id === i.contest);
        if (!contest) return invalid(ctx.t, [fieldIssue('contest', 'contest_not_held')]);
        const withPersonal = await allowed(ctx.req, PERSONAL, createTarget(i));
        const v = validateDossier(i, contest, e.election_day, { withPersonal });
        if (!v.ok) return invalid(ctx.t, v.issues);
        const councilCode = normalizeName(i.councilCode ?? '') || null;
        if (councilCode && !(contest.id === 'national-assembly' && v.values.nominated_by === 'central') && !(await councilExists(ctx.em, e, contest.id, councilCode))) {
          return invalid(ctx.t, [fieldIssue('councilCode', 'council_unknown', { value: councilCode })]);
        }
        const codes = codesFor(contest, v.values.nominated_by, councilCode);
        const id = await insertCandidate(ctx.em, e.id, contest.id, codes, v.values, ctx.actor.id);
        return ok({ targetType: 'candidate', targetId: id, after: auditView({ ...v.values, contest: contest.id, council_code: codes.council_code }), redirect: `/elections/${e.id}/candidates/${id}`, flash: ctx.t('candidates.created') });
      },
    });
    /**
     * Where a new candidate will sit: the council's node; for the NA the filing province, or the nation for central
     * nominees. Without a code, the nation (only nation-wide roles pass; the form then names the missing field).
     */
    function createTarget(i: z.infer<typeof createInput>): Target {
      const code = normalizeName(i.councilCode ?? '');
      if (i.contest === 'national-assembly' && i.nominatedBy === 'central') return { type: 'nation', code: NATION, electionId: i.id };
      return code ? { ...councilNode(i.contest === 'national-assembly' ? 'provincial-council' : i.contest, code), electionId: i.id } : { type: 'nation', code: NATION, electionId: i.id };
    }

    // --- dossier page -------------------------------------------------------------------------------------------
    r.get('/elections/:id/candidates/:cid', async (req, res, next: NextFunction) => {
      if (!UUID_RE.test(String(req.params.cid))) return next();
      const e = await electionOf(req);
      const c = await candidateOf(req, res, e);
      if (!c) return;
      const tt = req.scope.t;
      const em = req.scope.em;
      const target = candidateTarget(c.id, e.id);
      const [canManage, withPersonal] = [await allowed(req, MANAGE, target), await allowed(req, PERSONAL, target)];
      const contest = d.registry.contestType(c.contest);
      const docs = await documentsOf(em, c.id);
      const list = contest ? checklist(contest, c, docs) : { lines: [], issues: [], complete: false };
      const warnings = await tooManyBodies(em, e.id, [c]);
      const conferences = await conferencesOf(em, [c.id]);
      const events = await eventsOf(em, c.id);
      const [council] = await sql<{ name: string }>(em, `select name from admin_unit where code = ? and valid_to is null limit 1`, [c.contest === 'national-assembly' ? c.filing_body_code : c.council_code]);
      const moves = canManage ? MOVE_IDS.filter((m) => MOVES[m].from.includes(c.status)).map((m) => ({ id: m, label: tt(`candidates.move.${m}`), reason: MOVES[m].reason })) : [];
      // 'complete' and 'accepted' are offered only once the checklist is complete (the action checks it again).
      const dossierMoves = canManage ? DOSSIER_MOVES[c.dossier_status].filter((s) => list.complete || (s !== 'complete' && s !== 'accepted')).map((s) => ({ id: s, label: tt(`candidates.dossier_move.${s}`), reason: s === 'returned' })) : [];
      const edu = c.education ?? {};
      render(req, res, 'candidates/show', {
        election: e, base: `/elections/${e.id}/candidates`, c, canManage, withPersonal, csrfToken: res.locals.csrfToken ?? '',
        contestLabel: contestLabel(req, c.contest), statusLabel: tt(`candidates.status.${c.status}`), dossierLabel: tt(`candidates.dossier.${c.dossier_status}`),
        council: c.contest === 'national-assembly' ? (c.filing_body_code === 'NEC' ? tt('candidates.filing.nec') : council?.name ?? c.filing_body_code) : council?.name ?? c.council_code,
        filing: tt(`candidates.filing.${c.filing_body_code === 'NEC' ? 'nec' : c.contest === 'national-assembly' ? 'provincial-committee' : 'same-level-committee'}`),
        boardHref: `/elections/${e.id}/consultation/${c.contest}/${c.contest === 'national-assembly' ? (c.filing_body_code === 'NEC' ? 'VN' : c.filing_body_code) : c.council_code}`,
        facts: [
          ['fullName', c.full_name], ['otherName', c.other_name], ['gender', tt(`candidates.gender.${c.gender}`)], ['dateOfBirth', c.date_of_birth_text ?? c.date_of_birth],
          ['ethnicity', c.ethnicity], ['religion', c.religion], ['nationality', c.nationality], ['hometown', c.hometown],
          ...(withPersonal ? [['permanentResidence', c.permanent_residence], ['currentResidence', c.current_residence], ['idNumber', c.id_number]] : []),
          ['eduGeneral', edu.general], ['eduProfessional', edu.professional], ['eduAcademicTitle', edu.academicTitle], ['eduPoliticalTheory', edu.politicalTheory], ['eduLanguages', edu.languages],
          ['occupation', c.occupation], ['position', c.position], ['workplace', c.workplace],
          ['partyMember', c.party_member ? tt('candidates.yes') + (c.party_joined_on ? ` · ${c.party_joined_on.slice(8, 10)}/${c.party_joined_on.slice(5, 7)}/${c.party_joined_on.slice(0, 4)}` : '') : tt('candidates.no')],
          ['incumbentNa', c.incumbent_na ? tt('candidates.yes') : tt('candidates.no')], ['incumbentCouncil', c.incumbent_council ? tt('candidates.yes') : tt('candidates.no')], ['deputyTerms', c.deputy_terms],
          ['nominatedBy', tt(`candidates.route.${c.nominated_by}`)], ['nominatingBody', c.nominating_body], ['fullTimePost', c.full_time_post ? tt('candidates.yes') : tt('candidates.no')],
        ].map(([k, v]) => ({ label: tt(`candidates.field.${k}`), value: v ?? '' })),
        personalHidden: !withPersonal,
        checklist: list.lines.map((l) => ({ ...l, label: tt(`candidates.document.${l.kind}`) })), complete: list.complete,
        checklistIssues: list.issues.map((i) => tt(i.messageKey, { ...i.params, document: tt(`candidates.document.${i.params.document}`) })),
        sets: contest?.dossierSets ?? 1,
        warning: warnings.get(c.id) ? tt(warnings.get(c.id)!.messageKey, warnings.get(c.id)!.params) : '',
        documents: docs.filter((x) => withPersonal || !PERSONAL_KINDS.includes(x.kind)).map((x) => ({ ...x, label: tt(`candidates.document.${x.kind}`), kb: Math.max(1, Math.round(x.size / 1024)) })),
        hiddenDocuments: docs.filter((x) => !withPersonal && PERSONAL_KINDS.includes(x.kind)).length,
        uploadKinds: UPLOAD_KINDS.filter((k) => withPersonal || !PERSONAL_KINDS.includes(k)).map((k) => ({ id: k, label: tt(`candidates.document.${k}`) })),
        filesReady: !!d.files(), maxMb: MAX_DOCUMENT_MB,
        conferences: conferences.map((x) => {
          const pc = conferencePercents(x);
          return { ...x, kindLabel: tt(`candidates.conference.${x.kind}`), heldOn: `${x.held_on.slice(8, 10)}/${x.held_on.slice(5, 7)}/${x.held_on.slice(0, 4)}`, attendance: formatPercent(pc.attendance, req.scope.lang), confidencePct: formatPercent(pc.confidence, req.scope.lang), majority: pc.majority };
        }),
        moves, dossierMoves,
        events: events.map((x) => ({
          ...x, who: x.actor_name ?? x.actor, what: tt(`candidates.event.${x.kind}`),
          from: x.from_status ? tt(x.kind === 'dossier' ? `candidates.dossier.${x.from_status}` : `candidates.status.${x.from_status}`) : '',
          to: x.to_status ? tt(x.kind === 'dossier' ? `candidates.dossier.${x.to_status}` : `candidates.status.${x.to_status}`) : '',
          detail: x.kind === 'edited' && Array.isArray(x.data?.fields) ? (x.data.fields as string[]).map((f) => tt(`candidates.field.${f}`)).join(', ')
            : x.kind === 'document' || x.kind === 'document-removed' ? tt(`candidates.document.${String(x.data?.kind ?? 'other')}`)
              : x.kind === 'conference' ? `${tt(`candidates.conference.${String(x.data?.kind)}`)} · ${String(x.data?.confidence ?? '')}/${String(x.data?.attending ?? '')}` : '',
        })),
      }, { title: `${c.full_name} · ${tt('candidates.title')}`, nav: 'elections' });
    });

    r.get('/elections/:id/candidates/:cid/edit', async (req, res) => {
      const e = await electionOf(req);
      const c = await candidateOf(req, res, e);
      if (!c) return;
      await authorize(p, req, MANAGE, candidateTarget(c.id, e.id));
      const contest = d.registry.contestType(c.contest);
      if (!contest) throw notFound();
      const withPersonal = await allowed(req, PERSONAL, candidateTarget(c.id, e.id));
      const values = formOf(c);
      if (!withPersonal) for (const k of PERSONAL_FIELDS) values[k] = '';
      await formPage(req, res, e, contest, { ...values, version: String(c.version) }, { candidate: c, withPersonal });
    });

    mountAction(r, p, {
      id: 'core.candidates.edit', method: 'post', path: '/elections/:id/candidates/:cid', permission: MANAGE, input: editInput, form: 'candidates',
      target: (i) => candidateTarget(i.cid, i.id),
      handle: async (i, ctx) => {
        const e = await getElection(ctx.em, i.id);
        const c = e ? await getCandidate(ctx.em, i.id, i.cid, true) : undefined;
        if (!e || !c) return err(appError('NOT_FOUND', 'candidates.not_found', 404));
        const contest = d.registry.contestType(c.contest);
        if (!contest) return err(appError('NOT_FOUND', 'candidates.not_found', 404));
        // A stale form (someone saved in between) is refused rather than overwriting their change.
        if (Number(i.version) !== c.version) return err(appError('CANDIDATE_STALE', 'candidates.stale', 409, { name: c.full_name }));
        const withPersonal = await allowed(ctx.req, PERSONAL, candidateTarget(c.id, e.id));
        // The council does not change on edit (a different council is a different candidacy); the NA filing province
        // follows the route.
        const councilCode = c.contest === 'national-assembly' ? (c.filing_body_code === 'NEC' ? null : c.filing_body_code) : c.council_code;
        const v = validateDossier(i, contest, e.election_day, { withPersonal, keep: c, councilCode: councilCode ?? '' });
        if (!v.ok) return invalid(ctx.t, v.issues);
        if (c.contest === 'national-assembly' && (v.values.nominated_by === 'central') !== (c.filing_body_code === 'NEC')) {
          return invalid(ctx.t, [fieldIssue('nominatedBy', 'route_changes_filing')]);
        }
        const changed = (Object.keys(v.values) as (keyof DossierValues)[]).filter((k) => JSON.stringify(v.values[k]) !== JSON.stringify(c[k]) && k !== 'name_key' && k !== 'sort_key');
        if (!(await updateCandidate(ctx.em, c.id, c.version, undefined, v.values))) return err(appError('CANDIDATE_STALE', 'candidates.stale', 409, { name: c.full_name }));
        const fields = changed.map((k) => FIELD_OF[k] ?? k);
        await addEvent(ctx.em, c.id, ctx.actor.id, 'edited', { data: { fields } });
        const personal = new Set<string>(['id_number', 'permanent_residence', 'current_residence']);
        const pick = (o: Partial<DossierValues>) => Object.fromEntries(changed.filter((k) => !personal.has(k)).map((k) => [k, o[k]]));
        return ok({
          targetType: 'candidate', targetId: c.id, before: pick(c), after: { ...pick(v.values), personalChanged: changed.filter((k) => personal.has(k)) },
          redirect: `/elections/${e.id}/candidates/${c.id}`, flash: ctx.t('candidates.saved'),
        });
      },
    });

    // --- dossier status -----------------------------------------------------------------------------------------
    mountAction(r, p, {
      id: 'core.candidates.dossier', method: 'post', path: '/elections/:id/candidates/:cid/dossier', permission: MANAGE, form: 'candidates',
      input: z.object({ id: uuid, cid: uuid, to: z.enum(['received', 'complete', 'accepted', 'returned']), reason: z.string().max(500).optional() }).strict(),
      target: (i) => candidateTarget(i.cid, i.id),
      handle: async (i, ctx) => {
        const c = await getCandidate(ctx.em, i.id, i.cid, true);
        if (!c) return err(appError('NOT_FOUND', 'candidates.not_found', 404));
        const reason = normalizeName(i.reason ?? '') || null;
        if (!DOSSIER_MOVES[c.dossier_status].includes(i.to as DossierStatus)) {
          return err(appError('DOSSIER_MOVE', 'candidates.dossier_move_refused', 409, { from: ctx.t(`candidates.dossier.${c.dossier_status}`), to: ctx.t(`candidates.dossier.${i.to}`) }));
        }
        if (i.to === 'returned' && !reason) return invalid(ctx.t, [fieldIssue('reason', 'reason_required')]);
        if (i.to === 'complete' || i.to === 'accepted') {
          // Rule 19: a dossier is complete only with every required document on file.
          const contest = d.registry.contestType(c.contest)!;
          const list = checklist(contest, c, await documentsOf(ctx.em, c.id));
          if (!list.complete) {
            return err(appError('DOSSIER_INCOMPLETE', 'candidates.dossier_incomplete', 409, undefined,
              list.issues.map((x) => ({ field: x.field, code: x.code, messageKey: x.messageKey, params: { ...x.params, document: ctx.t(`candidates.document.${x.params.document}`) } }))));
          }
        }
        if (!(await setDossierStatus(ctx.em, c.id, c.dossier_status, i.to, reason, ctx.actor.id))) return err(appError('CANDIDATE_STALE', 'candidates.stale', 409, { name: c.full_name }));
        return ok({ targetType: 'candidate', targetId: c.id, before: { dossierStatus: c.dossier_status }, after: { dossierStatus: i.to, reason }, redirect: `/elections/${i.id}/candidates/${c.id}`, flash: ctx.t(`candidates.dossier_now.${i.to}`) });
      },
    });

    // --- documents ----------------------------------------------------------------------------------------------
    /** multer's own refusals (a body far over the limit) answered and audited like the action's. */
    const receive = (req: Request, res: Response, next: NextFunction) => {
      upload.single('file')(req, res, (e: unknown) => {
        if (!e) return next();
        const tooBig = e instanceof multer.MulterError && e.code === 'LIMIT_FILE_SIZE';
        void auditRefusal(req, 'core.candidates.document.upload', 'rejected', candidateTarget(String(req.params.cid), String(req.params.id)), { code: tooBig ? 'FILE_TOO_LARGE' : 'UPLOAD_INVALID' })
          .then(() => next(new AppException(appError(tooBig ? 'FILE_TOO_LARGE' : 'UPLOAD_INVALID', tooBig ? 'candidates.upload.too_large' : 'candidates.upload.invalid', tooBig ? 413 : 400, { max: MAX_DOCUMENT_MB }))), next);
      });
    };
    mountAction(r, p, {
      id: 'core.candidates.document.upload', method: 'post', path: '/elections/:id/candidates/:cid/documents', permission: MANAGE, form: 'candidates', before: [receive],
      input: z.object({ id: uuid, cid: uuid, kind: z.enum(UPLOAD_KINDS), setNo: z.string().regex(/^[1-9]$/).optional() }).strict(),
      target: (i) => candidateTarget(i.cid, i.id),
      // The asset declaration is personal data: uploading one also needs the personal-data permission.
      authorize: async (i, req) => !PERSONAL_KINDS.includes(i.kind) || (await allowed(req, PERSONAL, candidateTarget(i.cid, i.id))),
      handle: async (i, ctx) => {
        const files = d.files();
        if (!files) return err(appError('FILES_UNAVAILABLE', 'candidates.upload.unavailable', 503));
        const c = await getCandidate(ctx.em, i.id, i.cid, true);
        if (!c) return err(appError('NOT_FOUND', 'candidates.not_found', 404));
        const file = ctx.req.file;
        if (!file || !file.size) return invalid(ctx.t, [fieldIssue('file', 'file_required')]);
        const contest = d.registry.contestType(c.contest);
        const setNo = Number(i.setNo ?? '1');
        if (contest && setNo > contest.dossierSets) return invalid(ctx.t, [fieldIssue('setNo', 'set_out_of_range', { max: contest.dossierSets })]);
        const stored = await files.put(ctx.em, { bytes: file.buffer, originalName: file.originalname, allowed: ALLOWED[i.kind], maxBytes: MAX_DOCUMENT_MB * 1024 * 1024, createdBy: ctx.actor.id, electionId: i.id });
        if (!stored.ok) return err(fileError(stored.error));
        const docId = await insertDocument(ctx.em, c.id, i.kind, setNo, stored.value.id, ctx.actor.id);
        await addEvent(ctx.em, c.id, ctx.actor.id, 'document', { data: { kind: i.kind, setNo, documentId: docId } });
        return ok({ targetType: 'candidate', targetId: c.id, after: { document: docId, kind: i.kind, setNo, file: stored.value.id }, redirect: `/elections/${i.id}/candidates/${c.id}#documents`, flash: ctx.t('candidates.upload.done') });
      },
    });

    r.get('/elections/:id/candidates/:cid/documents/:did', async (req, res) => {
      const e = await electionOf(req);
      const c = await candidateOf(req, res, e);
      if (!c) return;
      const did = String(req.params.did);
      const doc = UUID_RE.test(did) ? await getDocument(req.scope.em, c.id, did) : undefined;
      if (!doc) throw notFound();
      // The asset declaration only to those who handle personal data; the refusal is audited.
      if (PERSONAL_KINDS.includes(doc.kind)) await authorize(p, req, PERSONAL, candidateTarget(c.id, e.id));
      const files = d.files();
      if (!files || !(await files.send(res, req.scope.em, doc.file_id))) throw notFound();
    });

    mountAction(r, p, {
      id: 'core.candidates.document.remove', method: 'post', path: '/elections/:id/candidates/:cid/documents/:did/remove', permission: MANAGE, form: 'candidates',
      input: z.object({ id: uuid, cid: uuid, did: uuid }).strict(),
      target: (i) => candidateTarget(i.cid, i.id),
      handle: async (i, ctx) => {
        const doc = await getDocument(ctx.em, i.cid, i.did);
        if (!doc) return err(appError('NOT_FOUND', 'candidates.not_found', 404));
        if (PERSONAL_KINDS.includes(doc.kind) && !(await allowed(ctx.req, PERSONAL, candidateTarget(i.cid, i.id)))) return err(appError('FORBIDDEN', 'auth.forbidden', 403));
        await deleteDocument(ctx.em, i.cid, i.did);
        await addEvent(ctx.em, i.cid, ctx.actor.id, 'document-removed', { data: { kind: doc.kind, setNo: doc.set_no, documentId: doc.id } });
        return ok({ targetType: 'candidate', targetId: i.cid, before: { document: doc.id, kind: doc.kind, setNo: doc.set_no }, redirect: `/elections/${i.id}/candidates/${i.cid}#documents`, flash: ctx.t('candidates.upload.removed') });
      },
    });

    // --- consultation: candidate moves and voter conferences ------------------------------------------------------
    mountAction(r, p, {
      id: 'core.candidates.status', method: 'post', path: '/elections/:id/candidates/:cid/status', permission: MANAGE, form: 'candidates',
      input: z.object({ id: uuid, cid: uuid, move: z.enum(MOVE_IDS as [Move, ...Move[]]), reason: z.string().max(500).optional(), back: z.enum(['board', 'dossier']).optional() }).strict(),
      target: (i) => candidateTarget(i.cid, i.id),
      handle: async (i, ctx) => {
        const c = await getCandidate(ctx.em, i.id, i.cid, true);
        if (!c) return err(appError('NOT_FOUND', 'candidates.not_found', 404));
        const m = MOVES[i.move];
        const reason = normalizeName(i.reason ?? '') || null;
        if (!m.from.includes(c.status)) {
          return err(appError('STATUS_MOVE', 'candidates.move_refused', 409, { name: c.full_name, from: ctx.t(`candidates.status.${c.status}`), to: ctx.t(`candidates.status.${m.to}`) }));
        }
        if (m.reason && !reason) return invalid(ctx.t, [fieldIssue('reason', 'reason_required')]);
        await setStatus(ctx.em, c.id, c.status, m.to, reason, ctx.actor.id, i.move, m.round ? { round: m.round } : undefined);
        const board = `/elections/${i.id}/consultation/${c.contest}/${c.contest === 'national-assembly' ? (c.filing_body_code === 'NEC' ? 'VN' : c.filing_body_code) : c.council_code}`;
        return ok({
          targetType: 'candidate', targetId: c.id, before: { status: c.status }, after: { status: m.to, reason, round: m.round },
          redirect: i.back === 'board' ? `${board}#c-${c.id}` : `/elections/${i.id}/candidates/${c.id}`, flash: ctx.t('candidates.moved', { name: c.full_name, status: ctx.t(`candidates.status.${m.to}`) }),
        });
      },
    });

    const count = z.string().trim().regex(/^\d{1,7}$/);
    mountAction(r, p, {
      id: 'core.candidates.conference', method: 'post', path: '/elections/:id/candidates/:cid/conferences', permission: MANAGE, form: 'candidates',
      input: z.object({ id: uuid, cid: uuid, kind: z.enum(['workplace', 'residence']), heldOn: z.string().max(20), invited: count, attending: count, confidence: count }).strict(),
      target: (i) => candidateTarget(i.cid, i.id),
      handle: async (i, ctx) => {
        const c = await getCandidate(ctx.em, i.id, i.cid, true);
        const e = await getElection(ctx.em, i.id);
        if (!c || !e) return err(appError('NOT_FOUND', 'candidates.not_found', 404));
        const f = { invited: Number(i.invited), attending: Number(i.attending), confidence: Number(i.confidence) };
        const issues = conferenceIssues(f).map((x) => fieldIssue(x.field, x.code, f));
        const heldOn = parseFormDate(i.heldOn);
        if (!heldOn) issues.unshift(fieldIssue('heldOn', 'date_format', { value: i.heldOn }));
        else if (heldOn >= e.election_day) issues.unshift(fieldIssue('heldOn', 'conference_after_election'));
        if (issues.length) return invalid(ctx.t, issues);
        const id = await insertConference(ctx.em, c.id, { kind: i.kind, heldOn: heldOn!, ...f }, ctx.actor.id);
        const pc = conferencePercents(f);
        await addEvent(ctx.em, c.id, ctx.actor.id, 'conference', { data: { kind: i.kind, heldOn, ...f, confidencePercent: pc.confidence } });
        return ok({ targetType: 'candidate', targetId: c.id, after: { conference: id, kind: i.kind, heldOn, ...f, confidencePercent: pc.confidence }, redirect: `/elections/${i.id}/candidates/${c.id}#conferences`, flash: ctx.t('candidates.conference.saved') });
      },
    });

    // --- consultation board -------------------------------------------------------------------------------------
    r.get('/elections/:id/consultation', async (req, res) => {
      const e = await electionOf(req);
      if (!(await mayList(req, res, e))) return;
      const councils = await councilsInScope(req.scope.em, e.id, scopeFilter(req.scope.actor.assignments, rolesOf(VIEW), e.id));
      const tt = req.scope.t;
      render(req, res, 'candidates/consultation', {
        election: e, index: true, base: `/elections/${e.id}/consultation`,
        councils: councils.map((c) => ({ ...c, contestLabel: contestLabel(req, c.contest), label: c.code === 'VN' ? tt('candidates.council.nation') : c.name ?? c.code })),
      }, { title: `${tt('candidates.board.title')} · ${e.name}`, nav: 'elections' });
    });

    const boardTarget = (contest: string, council: string, electionId: string): Target => ({ ...councilNode(contest, council), electionId });
    const councilParam = /^(VN|\d{2}|\d{5})$/;

    r.get('/elections/:id/consultation/:contest/:council', async (req, res) => {
      const e = await electionOf(req);
      const contest = d.registry.contestType(String(req.params.contest));
      const council = String(req.params.council);
      if (!contest || !councilParam.test(council)) throw notFound();
      const target = boardTarget(contest.id, council, e.id);
      if (!(await canView(req, res, target))) return;
      const em = req.scope.em;
      const tt = req.scope.t;
      const canManage = await allowed(req, MANAGE, target);
      const cands = await boardCandidates(em, e.id, contest.id, council);
      const confs = await conferencesOf(em, cands.map((c) => c.id));
      const rounds = await roundsOf(em, e.id, contest.id, council);
      const [node] = council === 'VN' ? [] : await sql<{ name: string }>(em, `select name from admin_unit where code = ? and valid_to is null limit 1`, [council]);
      const counts = Object.fromEntries(BOARD_STATUSES.map((s) => [s, 0])) as Record<string, number>;
      for (const c of cands) counts[c.status] = (counts[c.status] ?? 0) + 1;
      const byCand = new Map<string, typeof confs>();
      for (const x of confs) byCand.set(x.candidate_id, [...(byCand.get(x.candidate_id) ?? []), x]);
      const residencePending = cands.filter((c) => c.status === 'preliminary' && !(byCand.get(c.id) ?? []).some((x) => x.kind === 'residence')).length;
      const fmtDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
      const roundsView = [1, 2, 3].map((n) => {
        const rs = rounds.filter((x) => x.round === n);
        return {
          n, title: tt(`candidates.round.${n}`), held: rs.length > 0, rows: rs.map((x) => ({ ...x, heldOn: fmtDate(x.held_on), who: x.recorder_name ?? x.recorded_by })),
          nominees: rs.reduce((s, x) => s + (x.nominees ?? 0), 0),
          progress: n === 1 ? tt('candidates.board.r1_progress', { bodies: rs.length, nominees: rs.reduce((s, x) => s + (x.nominees ?? 0), 0), filed: cands.length })
            : n === 2 ? tt('candidates.board.r2_progress', { preliminary: cands.filter((c) => c.status !== 'nominated' && c.status !== 'withdrawn' && c.status !== 'removed' && !(c.status === 'not-qualified' && !c.status_reason)).length - counts['not-qualified'] + 0, pending: counts.nominated })
              : tt('candidates.board.r3_progress', { qualified: counts.qualified + counts.official, pending: counts.preliminary, conferencesPending: residencePending }),
        };
      });
      render(req, res, 'candidates/consultation', {
        election: e, base: `/elections/${e.id}/consultation`, dossierBase: `/elections/${e.id}/candidates`, canManage, csrfToken: res.locals.csrfToken ?? '',
        contest: { id: contest.id, label: tt(contest.titleKey) }, council: { code: council, name: council === 'VN' ? tt('candidates.council.nation') : node?.name ?? council },
        counts: BOARD_STATUSES.map((s) => ({ id: s, label: tt(`candidates.status.${s}`), n: counts[s] })), total: cands.length,
        conferencesHeld: confs.length, residencePending, rounds: roundsView,
        candidates: cands.map((c) => {
          const cs = byCand.get(c.id) ?? [];
          return {
            id: c.id, name: c.full_name, dob: c.date_of_birth_text ?? c.date_of_birth ?? '', status: c.status, statusLabel: tt(`candidates.status.${c.status}`), reason: c.status_reason,
            routeLabel: tt(`candidates.route.${c.nominated_by}`),
            conferences: cs.map((x) => {
              const pc = conferencePercents(x);
              return { kindLabel: tt(`candidates.conference.${x.kind}`), heldOn: fmtDate(x.held_on), confidence: x.confidence, attending: x.attending, invited: x.invited, pct: formatPercent(pc.confidence, req.scope.lang), majority: pc.majority };
            }),
            moves: canManage ? MOVE_IDS.filter((m) => MOVES[m].from.includes(c.status)).map((m) => ({ id: m, label: tt(`candidates.move.${m}`) })) : [],
          };
        }),
      }, { title: `${tt('candidates.board.title')} · ${contestLabel(req, contest.id)} · ${council}`, nav: 'elections' });
    });

    mountAction(r, p, {
      id: 'core.candidates.round', method: 'post', path: '/elections/:id/consultation/:contest/:council/rounds', permission: MANAGE, form: 'candidates',
      input: z.object({
        id: uuid, contest: z.string().max(60), council: z.string().regex(councilParam), round: z.enum(['1', '2', '3']), heldOn: z.string().max(20),
        nominatingBody: z.string().max(300).optional(), composition: z.string().max(1000).optional(), nominees: z.string().max(7).optional(), note: z.string().max(1000).optional(),
      }).strict(),
      target: (i) => boardTarget(i.contest, i.council, i.id),
      handle: async (i, ctx) => {
        const e = await getElection(ctx.em, i.id);
        const contest = d.registry.contestType(i.contest);
        if (!e || !contest) return err(appError('NOT_FOUND', 'candidates.not_found', 404));
        const round = Number(i.round);
        const issues: FieldIssue[] = [];
        const heldOn = parseFormDate(i.heldOn);
        if (!heldOn) issues.push(fieldIssue('heldOn', 'date_format', { value: i.heldOn }));
        else if (heldOn >= e.election_day) issues.push(fieldIssue('heldOn', 'conference_after_election'));
        const body = normalizeName(i.nominatingBody ?? '') || null;
        const nomineesText = (i.nominees ?? '').trim();
        if (nomineesText && !/^\d{1,6}$/.test(nomineesText)) issues.push(fieldIssue('nominees', 'whole_number'));
        // Round 1 agrees, per nominating body, the structure and the number of people it may introduce.
        if (round === 1 && !body) issues.push(fieldIssue('nominatingBody', 'required'));
        if (round === 1 && !nomineesText) issues.push(fieldIssue('nominees', 'required'));
        if (issues.length) return invalid(ctx.t, issues);
        const rec = { round, heldOn: heldOn!, nominatingBody: body, composition: normalizeName(i.composition ?? '') || null, nominees: nomineesText ? Number(nomineesText) : null, note: normalizeName(i.note ?? '') || null };
        const rid = await insertRound(ctx.em, i.id, contest.id, i.council, rec, ctx.actor.id);
        return ok({ targetType: 'consultation-round', targetId: rid, after: { contest: contest.id, council: i.council, ...rec }, redirect: `/elections/${i.id}/consultation/${contest.id}/${i.council}#round-${round}`, flash: ctx.t('candidates.round.saved', { n: round }) });
      },
    });

    /**
     * A refused dossier form (browser): the form again with what was typed and one message per field, linked to the
     * field, instead of the generic error page. The refusal was already audited by the pipeline.
     */
    r.use(async (x: unknown, req: Request, res: Response, next: NextFunction) => {
      const m = /^\/elections\/([0-9a-f-]{36})\/candidates(?:\/([0-9a-f-]{36}))?$/i.exec(req.path);
      if (!(x instanceof AppException) || x.appError.code !== 'INPUT_INVALID' || req.method !== 'POST' || !m || req.accepts(['html', 'json']) !== 'html') return next(x);
      try {
        const e = await getElection(req.scope.em, m[1]);
        const candidate = m[2] ? await getCandidate(req.scope.em, m[1], m[2]) : undefined;
        const contest = d.registry.contestType(candidate?.contest ?? str(req.body?.contest));
        if (!e || !contest || (m[2] && !candidate)) return next(x);
        const target = candidate ? candidateTarget(candidate.id, e.id) : { type: 'nation' as const, code: NATION, electionId: e.id };
        const withPersonal = candidate ? await allowed(req, PERSONAL, target) : req.scope.actor.assignments.some((a) => rolesOf(PERSONAL).includes(a.role as never));
        const values: Record<string, unknown> = { ...(req.body ?? {}) };
        const errors = (x.appError.details ?? []).map((i) => ({ field: i.field, message: req.scope.t(i.messageKey, i.params), anchor: FIELD_IDS[i.field ?? ''] }));
        await formPage(req, res, e, contest, values, { candidate, withPersonal, errors, status: 400 });
      } catch (y) {
        next(y);
      }
    });

    return r;
  };
}

/** Form field → the id of its input (error messages link to the field). */
const FIELD_IDS: Record<string, string> = {
  fullName: 'f-name', otherName: 'f-other', gender: 'f-gender', dateOfBirth: 'f-dob', ethnicity: 'f-eth', religion: 'f-rel', nationality: 'f-nat',
  hometown: 'f-home', permanentResidence: 'f-perm', currentResidence: 'f-cur', idNumber: 'f-id', eduGeneral: 'f-eg', eduProfessional: 'f-ep',
  eduAcademicTitle: 'f-ea', eduPoliticalTheory: 'f-et', eduLanguages: 'f-el', occupation: 'f-occ', position: 'f-pos', workplace: 'f-work',
  partyJoinedOn: 'f-pj', deputyTerms: 'f-terms', nominatingBody: 'f-nbody', councilCode: 'f-council', nominatedBy: 'nb-l',
};

/** Row column → form field name (history and audit name the field the user saw). */
const FIELD_OF: Partial<Record<keyof DossierValues, string>> = {
  full_name: 'fullName', other_name: 'otherName', gender: 'gender', date_of_birth: 'dateOfBirth', date_of_birth_text: 'dateOfBirth', ethnicity: 'ethnicity',
  religion: 'religion', nationality: 'nationality', hometown: 'hometown', permanent_residence: 'permanentResidence', current_residence: 'currentResidence',
  id_number: 'idNumber', education: 'education', occupation: 'occupation', position: 'position', workplace: 'workplace', party_member: 'partyMember',
  party_joined_on: 'partyJoinedOn', incumbent_na: 'incumbentNa', incumbent_council: 'incumbentCouncil', deputy_terms: 'deputyTerms',
  nominated_by: 'nominatedBy', nominating_body: 'nominatingBody', full_time_post: 'fullTimePost',
};
