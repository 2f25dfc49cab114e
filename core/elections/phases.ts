// The phases of an election and which form families are open in each: pure data and functions, so later issues
// (structure, candidates, turnout, count minutes, results) ask formOpen() rather than hard-coding dates or phases.

/** Phases in order. An election moves forward one step at a time; a system administrator may step back with a reason. */
export const PHASES = ['preparation', 'nomination', 'consultation', 'official-lists', 'voting', 'counting', 'results', 'certified'] as const;
export type Phase = (typeof PHASES)[number];

export const isPhase = (v: unknown): v is Phase => typeof v === 'string' && (PHASES as readonly string[]).includes(v);

/** The phase after `p`, or undefined for the last one. */
export function nextPhase(p: Phase): Phase | undefined {
  return PHASES[PHASES.indexOf(p) + 1];
}

/** The phase before `p`, or undefined for the first one. */
export function previousPhase(p: Phase): Phase | undefined {
  const i = PHASES.indexOf(p);
  return i > 0 ? PHASES[i - 1] : undefined;
}

/** Families of forms whose availability depends on the phase. */
export const FORM_FAMILIES = ['structure', 'candidates', 'turnout', 'count-minutes', 'results'] as const;
export type FormFamily = (typeof FORM_FAMILIES)[number];

/**
 * Which phases each form family is open in. Structure (electoral units, polling areas, bodies) is fixed before
 * nominations close; candidate data lives from nomination to the official lists; turnout and count minutes are
 * entered on and right after election day; results are determined from counting until they are announced.
 */
export const FORM_WINDOWS: Readonly<Record<FormFamily, readonly Phase[]>> = {
  structure: ['preparation', 'nomination'],
  candidates: ['nomination', 'consultation', 'official-lists'],
  turnout: ['voting', 'counting'],
  'count-minutes': ['voting', 'counting'],
  results: ['counting', 'results'],
};

/**
 * The family of a form id: the family itself ('count-minutes'), or a dotted id naming it as a segment
 * ('national-assembly.count-minutes.submit'). Undefined when none matches.
 */
export function formFamilyOf(formId: string): FormFamily | undefined {
  if ((FORM_FAMILIES as readonly string[]).includes(formId)) return formId as FormFamily;
  const segments = formId.split('.');
  return FORM_FAMILIES.find((f) => segments.includes(f));
}

/**
 * Is a form open in a phase? `formId` is a family or a dotted form id containing one. An unknown form is closed:
 * a form that forgot to declare its family must not be writable in every phase.
 */
export function formOpen(phase: Phase, formId: string): boolean {
  const family = formFamilyOf(formId);
  return family !== undefined && FORM_WINDOWS[family].includes(phase);
}
