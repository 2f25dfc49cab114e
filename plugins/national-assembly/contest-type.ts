// The National Assembly contest's parameters, taken from the election law (numbered rules in shared/domain/election-rules.md).
import type { ContestTypeDef } from '../../core/plugin-api/index.js';

/** Contest parameters of the election of National Assembly deputies (đại biểu Quốc hội). */
export const nationalAssemblyContest: ContestTypeDef = {
  id: 'national-assembly',
  titleKey: 'national-assembly.title',
  shortLabel: 'QH',
  // Rule 4: each NA electoral unit lies within one province.
  unitLevel: 'province',
  // Rule 3 (Law 85 art. 10(4)): an NA unit elects at most 3 deputies.
  seats: { min: 1, max: 3 },
  // Rule 17 (art. 57(6)): the official list exceeds the seats by at least 2, whatever the seat count.
  surplus: [{ seatsFrom: 1, seatsTo: 3, minSurplus: 2 }],
  // Rule 29 (art. 79): any unfilled seat is recorded and referred to the NEC, which decides on an additional election.
  additionalElection: { kind: 'refer-to-nec' },
  // Rule 18: checked on the national official list, not per unit.
  structureTargets: [
    // Law 83/2025 amending art. 8(3): at least 35 % of the official NA list are women.
    { id: 'women', titleKey: 'national-assembly.target.women', minPercent: 35, level: 'national', binding: true },
    // Law 85 art. 8(4): at least 18 %. UNCERTAIN whether 2025 reworded "of candidates" as "of the official list"
    // (open question 6); we check it on the official list like the women target.
    {
      id: 'ethnic-minority',
      titleKey: 'national-assembly.target.ethnic-minority',
      minPercent: 18,
      level: 'national',
      binding: true,
    },
  ],
  // §5.2 (NEC Res. 40/NQ-HĐBCQG): NA forms 01–03 plus the asset declaration shared by all contests.
  dossierForms: {
    application: '01/HĐBC-QH',
    cv: '02/HĐBC-QH',
    biography: '03/HĐBC-QH',
    assetDeclaration: '09/HĐBC',
  },
  // Rule 19: an NA candidate files 2 dossier sets.
  dossierSets: 2,
  // Rule 7: an NA election board (ban bầu cử) has 9–17 members.
  boardSize: { min: 9, max: 17 },
  // Rules 26 and 27: strictly more than half of listed voters must vote; a winner needs strictly more than half of valid ballots.
  turnoutThresholdPercent: 50,
  winThresholdPercent: 50,
};
