// Stand-in completeness checks for calendar tests: sets aside the check a module registered under an id (the bodies
// module registers the formation checks at boot) and registers the test's own; the returned function restores it.
import { deadlineCheck, registerDeadlineCheck, type DeadlineCheck } from '../../core/elections/calendar/completeness.js';

/** Call after the app has booted (its modules register their checks at boot). */
export function standInCheck(id: string, fake: DeadlineCheck): () => void {
  const real = deadlineCheck(id);
  // Registering the same function again returns a remover for it (core/elections/calendar/completeness.ts).
  if (real) registerDeadlineCheck(id, real)();
  const removeFake = registerDeadlineCheck(id, fake);
  return () => {
    removeFake();
    if (real) registerDeadlineCheck(id, real);
  };
}

/** Sets aside the checks with these ids for the test (the calendar then shows them as not tracked). */
export function withoutChecks(ids: string[]): () => void {
  const restores = ids.map((id) => {
    const real = deadlineCheck(id);
    if (real) registerDeadlineCheck(id, real)();
    return () => {
      if (real) registerDeadlineCheck(id, real);
    };
  });
  return () => restores.forEach((r) => r());
}
