// Exports of the structure in the import formats (so an export re-imported changes nothing): units with seats and the
// council size, compositions, polling areas with their unit per contest. XLSX is streamed row by row (72,195 areas
// fit in memory, but a streamed workbook starts downloading at once); CSV is UTF-8 with BOM.
import type { Response } from 'express';
import ExcelJS from 'exceljs';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../persistence/db.js';
import { columnsOf, KIND_VI, SMALL_REASON_VI, type ColumnId } from './import-format.js';
import { NA_CONTEST, unitColumnOf, type AreaKind, type ContestInfo, type SmallReason } from './model.js';
import type { ElectionInfo } from './store.js';
import { headerOf } from './import-template.js';

export const EXPORT_KINDS = ['units', 'compositions', 'areas'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export interface ExportOptions {
  election: ElectionInfo;
  kind: ExportKind;
  contest?: ContestInfo;
  province?: string;
  commune?: string;
  format: 'xlsx' | 'csv';
}

const inForce = (a: string) => `${a}.valid_from <= ?::date and (${a}.valid_to is null or ${a}.valid_to > ?::date)`;
const TEXT_COLUMNS = new Set<ColumnId>(['province_code', 'commune_code', 'opens', 'closes', 'voting_date']);

/** Rows of an export, in the column order of the matching template. */
export async function exportRows(em: EntityManager, o: Omit<ExportOptions, 'format'>, contests: ContestInfo[] = []): Promise<{ columns: ColumnId[]; header: string[]; rows: (string | number)[][] }> {
  const e = o.election;
  const day = e.electionDay;
  // Scope filters on the province of the parent (units) or of the commune (compositions, areas).
  const communeProvince = (col: string) => `(select c.parent_code from admin_unit c where c.code = ${col} and c.level = 'commune' and ${inForce('c')})`;
  if (o.kind === 'units') {
    const c = o.contest!;
    const cols = columnsOf('units', c.unitLevel).map((x) => x.id);
    const params: unknown[] = [day, day, o.election.id, c.id];
    let where = '';
    if (c.unitLevel === 'province' && o.province) (where += ' and u.parent_code = ?', params.push(o.province));
    if (c.unitLevel === 'commune' && o.commune) (where += ' and u.parent_code = ?', params.push(o.commune));
    else if (c.unitLevel === 'commune' && o.province) (where += ` and ${communeProvince('u.parent_code')} = ?`, params.push(day, day, o.province));
    const rows = await sql<{ parent_code: string; parent_name: string | null; number: number; seats: number; name: string; description: string | null; size: number | null }>(
      em,
      `select u.parent_code, p.name as parent_name, u.number, u.seats, u.name, u.description,
              (select k.size from council k where k.election_id = u.election_id and k.contest = u.contest and k.admin_code = u.parent_code) as size
         from electoral_unit u left join admin_unit p on p.code = u.parent_code and p.level = u.parent_level and ${inForce('p')}
        where u.election_id = ? and u.contest = ?${where} order by u.parent_code, u.number`,
      params,
    );
    return {
      columns: cols, header: headerOf('units', c.unitLevel),
      rows: rows.map((r) => cols.map((id) => ({
        province_code: r.parent_code, commune_code: r.parent_code, province_name: r.parent_name ?? '', commune_name: r.parent_name ?? '', unit_no: r.number,
        seats: r.seats, name: r.name, composition_text: r.description ?? '', council_size: c.id === NA_CONTEST ? '' : r.size ?? '',
      } as Record<string, string | number>)[id] ?? '')),
    };
  }
  if (o.kind === 'compositions') {
    const c = o.contest!;
    const cols = columnsOf('compositions', c.unitLevel).map((x) => x.id);
    if (c.unitLevel === 'province') {
      const params: unknown[] = [day, day, o.election.id, c.id];
      let where = '';
      if (o.province) (where += ' and u.parent_code = ?', params.push(o.province));
      if (o.commune) (where += ' and uc.commune_code = ?', params.push(o.commune));
      const rows = await sql<{ province: string; number: number; commune: string; name: string | null }>(
        em,
        `select u.parent_code as province, u.number, uc.commune_code as commune, k.name from electoral_unit_commune uc join electoral_unit u on u.id = uc.unit_id
           left join admin_unit k on k.code = uc.commune_code and k.level = 'commune' and ${inForce('k')}
          where u.election_id = ? and u.contest = ?${where} order by u.parent_code, u.number, uc.commune_code`,
        params,
      );
      return { columns: cols, header: headerOf('compositions', 'province'), rows: rows.map((r) => [r.province, r.number, r.commune, r.name ?? '']) };
    }
    const params: unknown[] = [day, day, o.election.id, c.id];
    let where = '';
    if (o.commune) (where += ' and a.commune_code = ?', params.push(o.commune));
    else if (o.province) (where += ` and ${communeProvince('a.commune_code')} = ?`, params.push(day, day, o.province));
    const rows = await sql<{ commune: string; name: string | null; unit: number; area: number }>(
      em,
      `select a.commune_code as commune, k.name, u.number as unit, a.number as area from polling_area_unit pu
         join polling_area a on a.id = pu.polling_area_id join electoral_unit u on u.id = pu.unit_id
         left join admin_unit k on k.code = a.commune_code and k.level = 'commune' and ${inForce('k')}
        where a.election_id = ? and pu.contest = ?${where} order by a.commune_code, u.number, a.number`,
      params,
    );
    return { columns: cols, header: headerOf('compositions', 'commune'), rows: rows.map((r) => [r.commune, r.name ?? '', r.unit, r.area]) };
  }
  // Areas, with one unit-number column per contest held.
  const cols = columnsOf('areas', 'commune').map((x) => x.id);
  const pivots = contests.map((c) => ({ col: unitColumnOf(c), contest: c.id }));
  const params: unknown[] = [...pivots.map((x) => x.contest), day, day, o.election.id];
  let where = '';
  if (o.commune) (where += ' and a.commune_code = ?', params.push(o.commune));
  else if (o.province) (where += ` and ${communeProvince('a.commune_code')} = ?`, params.push(day, day, o.province));
  const rows = await sql<Record<string, string | number | null>>(
    em,
    `select a.commune_code, k.name as commune_name, a.number, a.name, a.voters, a.kind, a.kind_reason, a.small_reason, a.voting_date::text as voting_date,
            a.approval_ref, to_char(a.opens, 'HH24:MI') as opens, to_char(a.closes, 'HH24:MI') as closes
            ${pivots.map((x) => `, max(u.number) filter (where pu.contest = ?) as ${x.col}`).join('')}
       from polling_area a
       left join admin_unit k on k.code = a.commune_code and k.level = 'commune' and ${inForce('k')}
       left join polling_area_unit pu on pu.polling_area_id = a.id left join electoral_unit u on u.id = pu.unit_id
      where a.election_id = ?${where}
      group by a.id, k.name order by a.commune_code, a.number`,
    params,
  );
  return {
    columns: cols, header: headerOf('areas', 'commune'),
    rows: rows.map((r) => cols.map((id) => {
      if (id === 'area_no') return r.number as number;
      if (id === 'kind') return KIND_VI[r.kind as AreaKind];
      if (id === 'small_reason') return r.small_reason ? SMALL_REASON_VI[r.small_reason as SmallReason] : '';
      const v = r[id];
      return v === null || v === undefined ? '' : (v as string | number);
    })),
  };
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\r\n;]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** The rows of an export as a CSV file (UTF-8 with BOM, CRLF). */
export function toCsv(data: { header: string[]; rows: (string | number)[][] }): string {
  const out: string[] = ['\ufeff' + data.header.map(csvCell).join(',')];
  for (const r of data.rows) out.push(r.map(csvCell).join(','));
  return out.join('\r\n') + '\r\n';
}

/** Streams an export to the response as an attachment. */
export async function exportStructure(em: EntityManager, res: Response, o: ExportOptions): Promise<void> {
  const contests = o.kind === 'areas' ? await contestsWithUnits(em, o.election.id) : [];
  const data = await exportRows(em, o, contests);
  const scope = o.commune ?? o.province ?? 'toan-quoc';
  const name = `${o.kind === 'units' ? 'don-vi-bau-cu' : o.kind === 'compositions' ? 'thanh-phan-don-vi' : 'khu-vuc-bo-phieu'}${o.contest ? '-' + o.contest.id : ''}-${scope}`;
  if (o.format === 'csv') {
    res.type('text/csv; charset=utf-8').attachment(`${name}.csv`);
    res.write('\ufeff' + data.header.map(csvCell).join(',') + '\r\n');
    for (let i = 0; i < data.rows.length; i += 2000) res.write(data.rows.slice(i, i + 2000).map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n');
    res.end();
    return;
  }
  res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`${name}.xlsx`);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: res, useStyles: true });
  const ws = wb.addWorksheet('Danh sách', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = data.columns.map((id, i) => ({ header: data.header[i], key: id, width: id.includes('name') || id === 'composition_text' ? 32 : 14, style: TEXT_COLUMNS.has(id) ? { numFmt: '@' } : {} }));
  ws.getRow(1).font = { bold: true };
  ws.getRow(1).commit();
  for (const r of data.rows) ws.addRow(r).commit();
  ws.commit();
  await wb.commit();
}

/** Contests that have units in the election (the unit columns of an areas export). */
export async function contestsWithUnits(em: EntityManager, electionId: string): Promise<ContestInfo[]> {
  const rows = await sql<{ contest: string; parent_level: 'province' | 'commune' }>(em, `select distinct contest, parent_level from electoral_unit where election_id = ? order by 1`, [electionId]);
  return rows.map((r) => ({ id: r.contest, unitLevel: r.parent_level, seats: { min: 1, max: 5 }, shortLabel: r.contest }));
}
