// The static migrations list: explicit imports so migrations run under tsx, vitest and compiled node alike.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261129000100Kernel } from './20261129000100-kernel.js';
import { Migration20261129000200Auth } from './20261129000200-auth.js';
import { Migration20261129000300Audit } from './20261129000300-audit.js';
import { Migration20261129000400Elections } from './20261129000400-elections.js';
import { Migration20261129000500Structure } from './20261129000500-structure.js';
import { Migration20261129000600Bodies } from './20261129000600-bodies.js';
import { Migration20261129000700Reports } from './20261129000700-reports.js';
import { Migration20261129000750Files } from './20261129000750-files.js';
import { Migration20261129000800Candidates } from './20261129000800-candidates.js';
import { Migration20261129000810CandidateDossiers } from './20261129000810-candidate-dossiers.js';
import { Migration20261129000820CandidateLists } from './20261129000820-candidate-lists.js';
import { Migration20261129000900ElectionDay } from './20261129000900-election-day.js';
import { Migration20261129000910Turnout } from './20261129000910-turnout.js';
import { Migration20261129000920CountMinutes } from './20261129000920-count-minutes.js';
import { Migration20261129000950Results } from './20261129000950-results.js';
import { Migration20261129000951ResultsHotRows } from './20261129000951-results-hot-rows.js';
import { Migration20261129000952ResultsNecDecision } from './20261129000952-results-nec-decision.js';
import { Migration20261129000953ResultsPending } from './20261129000953-results-pending.js';
import { Migration20261129000960ReportBatches } from './20261129000960-report-batches.js';
import { Migration20261129000970AuditBatchSeal } from './20261129000970-audit-batch-seal.js';
import { Migration20261129000980BallotInventory } from './20261129000980-ballot-inventory.js';

export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261129000100Kernel', class: Migration20261129000100Kernel },
  { name: 'Migration20261129000200Auth', class: Migration20261129000200Auth },
  { name: 'Migration20261129000300Audit', class: Migration20261129000300Audit },
  { name: 'Migration20261129000400Elections', class: Migration20261129000400Elections },
  { name: 'Migration20261129000500Structure', class: Migration20261129000500Structure },
  { name: 'Migration20261129000600Bodies', class: Migration20261129000600Bodies },
  { name: 'Migration20261129000700Reports', class: Migration20261129000700Reports },
  { name: 'Migration20261129000750Files', class: Migration20261129000750Files },
  { name: 'Migration20261129000800Candidates', class: Migration20261129000800Candidates },
  { name: 'Migration20261129000810CandidateDossiers', class: Migration20261129000810CandidateDossiers },
  { name: 'Migration20261129000820CandidateLists', class: Migration20261129000820CandidateLists },
  { name: 'Migration20261129000900ElectionDay', class: Migration20261129000900ElectionDay },
  { name: 'Migration20261129000910Turnout', class: Migration20261129000910Turnout },
  { name: 'Migration20261129000920CountMinutes', class: Migration20261129000920CountMinutes },
  { name: 'Migration20261129000950Results', class: Migration20261129000950Results },
  { name: 'Migration20261129000951ResultsHotRows', class: Migration20261129000951ResultsHotRows },
  { name: 'Migration20261129000952ResultsNecDecision', class: Migration20261129000952ResultsNecDecision },
  { name: 'Migration20261129000953ResultsPending', class: Migration20261129000953ResultsPending },
  { name: 'Migration20261129000960ReportBatches', class: Migration20261129000960ReportBatches },
  { name: 'Migration20261129000970AuditBatchSeal', class: Migration20261129000970AuditBatchSeal },
  { name: 'Migration20261129000980BallotInventory', class: Migration20261129000980BallotInventory },
];
