// The parameters that distinguish one contest type from another. The kernel's generic election machinery
// (units, candidate lists, determination of results) reads only these; each plugin fills them from the law.

/** Where a contest's electoral units live in the administrative tree (rule 4). */
export type UnitLevel = 'province' | 'commune';

/** Minimum surplus of candidates over seats on a unit's official list, for a range of seat counts (rule 17). */
export interface SurplusRule {
  seatsFrom: number;
  seatsTo: number;
  minSurplus: number;
}

/**
 * What happens when fewer candidates win than there are seats (rule 29):
 * - 'refer-to-nec': any shortfall is recorded and referred to the NEC, which decides (NA);
 * - 'below-fraction': an additional election is required only if winners < numerator/denominator × seats
 *   (councils: 2/3); otherwise the seats stay unfilled.
 */
export type AdditionalElectionRule =
  | { kind: 'refer-to-nec' }
  | { kind: 'below-fraction'; numerator: number; denominator: number };

/** A structure target on the official list (rule 18): share of candidates with a property, at a level. */
export interface StructureTarget {
  id: string; // 'women', 'ethnic-minority', …
  titleKey: string;
  minPercent: number;
  /** Level at which the target is checked (NA women: the national official list). */
  level: 'national' | 'province' | 'commune';
  /** Whether the target binds by law or is guidance shown in reports only. */
  binding: boolean;
}

/** NEC dossier form numbers for the contest (Resolution 40/NQ-HĐBCQG). */
export interface DossierForms {
  application: string;
  cv: string;
  biography: string;
  assetDeclaration: string;
}

/** Allowed member count of a body (rule 7). */
export interface BodySizeRule {
  min: number;
  max: number;
}

export interface ContestTypeDef {
  /** Equals the plugin id: 'national-assembly', 'provincial-council', 'commune-council'. */
  id: string;
  titleKey: string;
  /** Short label used in tables and form numbers ("QH", "HĐND tỉnh", "HĐND xã"). */
  shortLabel: string;
  unitLevel: UnitLevel;
  /** Seats per electoral unit (rule 3). */
  seats: { min: number; max: number };
  /** Candidate-list surplus by seat count (rule 17). */
  surplus: SurplusRule[];
  additionalElection: AdditionalElectionRule;
  /** Structure targets (rule 18). */
  structureTargets: StructureTarget[];
  dossierForms: DossierForms;
  /** Number of dossier sets a candidate files (rule 19): NA 2, councils 1. */
  dossierSets: number;
  /** Size of the election board of one of this contest's units (rule 7). */
  boardSize: BodySizeRule;
  /** Strict majority thresholds (rules 26, 27) are law for every contest; kept here so a test can state them. */
  turnoutThresholdPercent: number;
  winThresholdPercent: number;
}

/** Minimum surplus for a seat count, or undefined if the seat count is outside the rules. */
export function minSurplusFor(def: Pick<ContestTypeDef, 'surplus'>, seats: number): number | undefined {
  return def.surplus.find((r) => seats >= r.seatsFrom && seats <= r.seatsTo)?.minSurplus;
}
