// The provincial People's Council contest's parameters, taken from the election law (numbered rules in shared/domain/election-rules.md).
import type { ContestTypeDef } from '../../core/plugin-api/index.js';

/** Contest parameters of the election of provincial People's Council deputies (đại biểu HĐND cấp tỉnh). */
export const provincialCouncilContest: ContestTypeDef = {
  id: 'provincial-council',
  titleKey: 'provincial-council.title',
  shortLabel: 'HĐND tỉnh',
  // Rule 4: each provincial-council electoral unit lies within one province.
  unitLevel: 'province',
  // Rule 3 (Law 85 art. 10(4)): a People's Council unit elects at most 5 deputies.
  seats: { min: 1, max: 5 },
  // Rule 17 (art. 58(3); NEC guidance 45/VPHĐBCQG for 1–2 seats).
  surplus: [
    { seatsFrom: 1, seatsTo: 2, minSurplus: 1 },
    { seatsFrom: 3, seatsTo: 3, minSurplus: 2 },
    { seatsFrom: 4, seatsTo: 5, minSurplus: 3 },
  ],
  // Rule 29 (art. 79): an additional election only if fewer than two-thirds of the seats are filled.
  additionalElection: { kind: 'below-fraction', numerator: 2, denominator: 3 },
  // Rule 18 sets structure targets for the NA list only; council composition is a report dimension, not a constraint.
  structureTargets: [],
  // §5.2 (NEC Res. 40/NQ-HĐBCQG): council forms 05–07 plus the asset declaration shared by all contests.
  dossierForms: {
    application: '05/HĐBC-HĐND',
    cv: '06/HĐBC-HĐND',
    biography: '07/HĐBC-HĐND',
    assetDeclaration: '09/HĐBC',
  },
  // Rule 19: a council candidate files 1 dossier set.
  dossierSets: 1,
  // Rule 7: a provincial-council election board (ban bầu cử) has 11–15 members.
  boardSize: { min: 11, max: 15 },
  // Rules 26 and 27: strictly more than half of listed voters must vote; a winner needs strictly more than half of valid ballots.
  turnoutThresholdPercent: 50,
  winThresholdPercent: 50,
};
