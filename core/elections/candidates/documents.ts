// Dossier documents (issue 5 point 2): the file store contract the routes use (core/files/file-store.ts, exposed as
// deps.files), the completeness checklist of rule 19 from the documents on file, and the dossier status machine
// received → complete → accepted, or returned with a reason (and received again once re-filed).
import type { FileKind, FileStore } from '../../files/file-store.js';
import type { ContestTypeDef } from '../../plugin-api/contest-type.js';
import { checkDossier, requiredDocuments, type CandidacyRoute, type CandidateIssue, type DossierDocumentKind } from './rules.js';

/** The file store (core/files/file-store.ts): magic-byte check, size limit, storage outside the web root, attachments. */
export type CandidateFileStore = Pick<FileStore, 'put' | 'send'>;

export const UPLOAD_KINDS = ['application', 'cv', 'biography', 'asset-declaration', 'photo', 'health-certificate', 'other'] as const;
export type UploadKind = (typeof UPLOAD_KINDS)[number];
export const MAX_DOCUMENT_MB = 10;
/** Scans are PDF or images; the 4×6 photo an image. */
export const ALLOWED: Record<UploadKind, FileKind[]> = {
  application: ['pdf', 'jpeg', 'png'], cv: ['pdf', 'jpeg', 'png'], biography: ['pdf', 'jpeg', 'png'], 'asset-declaration': ['pdf', 'jpeg', 'png'],
  photo: ['jpeg', 'png'], 'health-certificate': ['pdf', 'jpeg', 'png'], other: ['pdf', 'jpeg', 'png'],
};
/** Documents that are personal data (the asset declaration): listed and served only with core.candidates.personal-data. */
export const PERSONAL_KINDS: readonly string[] = ['asset-declaration'];

export interface ChecklistLine {
  kind: DossierDocumentKind;
  form: string;
  required: number;
  provided: number;
  ok: boolean;
}

/** Rule 19's checklist: each required document with the copies on file (one uploaded scan per copy / per photo). */
export function checklist(
  contest: Pick<ContestTypeDef, 'id' | 'dossierForms' | 'dossierSets'>,
  c: { nominated_by: string; full_time_post: boolean },
  docs: readonly { kind: string }[],
): { lines: ChecklistLine[]; issues: CandidateIssue[]; complete: boolean } {
  const counts: Partial<Record<DossierDocumentKind, number>> = {};
  for (const d of docs) if (d.kind !== 'other') counts[d.kind as DossierDocumentKind] = (counts[d.kind as DossierDocumentKind] ?? 0) + 1;
  const lines = requiredDocuments(contest, { fullTimePost: c.full_time_post }).map((r) => ({
    kind: r.kind, form: r.form ?? '', required: r.count, provided: counts[r.kind] ?? 0, ok: (counts[r.kind] ?? 0) >= r.count,
  }));
  const issues = checkDossier(contest, { route: c.nominated_by as CandidacyRoute, fullTimePost: c.full_time_post, documents: counts });
  return { lines, issues, complete: issues.length === 0 };
}

export type DossierStatus = 'received' | 'complete' | 'accepted' | 'returned';

/** Allowed dossier status moves; 'returned' needs a reason, 'complete' a complete checklist. */
export const DOSSIER_MOVES: Record<DossierStatus, DossierStatus[]> = {
  received: ['complete', 'returned'],
  complete: ['accepted', 'returned', 'received'],
  accepted: ['returned'],
  returned: ['received'],
};
