// THE public surface for election-type plugins: definePlugin(), the registrar, contest-type parameters and the
// context a plugin's code receives. Plugins import this module and nothing else of core (see test/unit/plugin-boundary).
export type { Result, Ok, Err, AppError, FieldIssue } from '../shared/result.js';
export { ok, err, appError } from '../shared/result.js';
export type { Catalogue, Lang } from '../shared/i18n.js';
export { collationKey, compareVi, normalizeName, searchKey } from '../shared/vn-text.js';
export type {
  ContestTypeDef,
  SurplusRule,
  AdditionalElectionRule,
  StructureTarget,
  DossierForms,
  BodySizeRule,
} from './contest-type.js';
export type {
  PluginManifest,
  PluginRegistrar,
  PermissionDef,
  TreeLevel,
  JobDef,
  ScheduleDef,
  RouteDef,
  MenuItemDef,
  SettingDef,
  PluginContext,
  PluginRequestContext,
  PluginResponse,
  DisableVeto,
} from './types.js';
export { definePlugin } from './types.js';
export { contestOverviewPage } from './contest-overview.js';
export type {
  ReportDef,
  ReportFormat,
  ReportCellType,
  ReportCellValue,
  ReportColumn,
  ReportField,
  ReportTarget,
  ReportContext,
} from './reports.js';
export { defineReport, REPORT_FORMATS } from './reports.js';
export type { RuleDef, RuleSeverity, Violation, CountMinutes, MinutesContext, BallotInventoryMode } from './rules.js';
export { ballotInventorySetting } from './rules.js';
export { minSurplusFor } from './contest-type.js';
export type { UnitLevel } from './contest-type.js';
