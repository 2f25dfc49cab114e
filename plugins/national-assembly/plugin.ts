// The National Assembly plugin's manifest: the one place that lists everything this plugin contributes to the kernel.
import { contestOverviewPage, definePlugin, ballotInventorySetting } from '../../core/plugin-api/index.js';
import { nationalAssemblyContest as contest } from './contest-type.js';
import { messages } from './messages.js';

const ID = 'national-assembly';

/** The election of National Assembly deputies: its contest type, permissions, setting, job, schedule and overview page. */
export const nationalAssembly = definePlugin({
  id: ID,
  version: '0.1.0',
  titleKey: `${ID}.title`,
  register(r) {
    r.contestType(contest);
    r.messages(messages);
    r.views(new URL('./views/', import.meta.url));

    r.permissions(
      {
        id: `${ID}.contest.view`,
        level: 'nation',
        // The contest's parameters are public law: any role may read them, whatever its scope.
        unscoped: true,
        titleKey: `${ID}.permission.contest.view`,
        roles: ['system-admin', 'nec-official', 'province-official', 'commune-official', 'board-member', 'team-member', 'observer'],
      },
      // The NEC fixes NA units on the provincial committee's proposal (Law 85 art. 10), so both may edit them.
      { id: `${ID}.units.manage`, level: 'province', titleKey: `${ID}.permission.units.manage`, roles: ['nec-official', 'province-official'] },
      // Centrally introduced candidates file with the NEC, local and self-nominated ones with the province (§5.2).
      {
        id: `${ID}.candidates.manage`,
        level: 'electoral-unit',
        titleKey: `${ID}.permission.candidates.manage`,
        roles: ['nec-official', 'province-official'],
      },
      // The election team draws up the minutes; the commune enters them for teams without their own account (rule 33).
      {
        id: `${ID}.count-minutes.submit`,
        level: 'polling-area',
        titleKey: `${ID}.permission.count-minutes.submit`,
        roles: ['team-member', 'commune-official'],
      },
      {
        id: `${ID}.results.view`,
        level: 'electoral-unit',
        titleKey: `${ID}.permission.results.view`,
        roles: ['system-admin', 'nec-official', 'province-official', 'commune-official', 'board-member', 'team-member', 'observer'],
      },
    );

    r.settings({
      // Share of invalid ballots in a polling area's count minutes above which the clerk must confirm a warning.
      id: `${ID}.invalid-share-warning-percent`,
      titleKey: `${ID}.setting.invalid-share-warning-percent`,
      type: 'number',
      default: 5,
      min: 0,
      max: 100,
    }, ballotInventorySetting(ID)); // rule 23 [U]: off / optional (default) / required (docs/count-minutes.md)

    // Added to core's generic count-minute catalogue (docs/rules.md). A hint only: the binding turnout test (rule 26)
    // is per electoral unit, but a polling area at or below half usually explains a unit that fails it.
    r.rules({
      code: 'QH-W01',
      severity: 'warning',
      ruleRef: '26',
      clerkKey: `${ID}.rule.QH-W01.clerk`,
      supervisorKey: `${ID}.rule.QH-W01.supervisor`,
      check(m) {
        const whole = (n: number) => Number.isSafeInteger(n) && n >= 0;
        if (!whole(m.votersVoted) || !whole(m.votersTotal) || m.votersTotal === 0) return [];
        // Strictly more than half must vote (50 % exactly fails): voted · 2 ≤ total is the warning.
        return m.votersVoted * 2 <= m.votersTotal
          ? [{ code: 'QH-W01', fields: ['votersVoted', 'votersTotal'], params: { voted: m.votersVoted, total: m.votersTotal } }]
          : [];
      },
    });

    r.jobs({
      name: `${ID}.recompute-structure-report`,
      // A no-op until the structure report (rule 18) exists; it keeps the schedule and job routing exercised.
      async handle() {
        return { ok: true };
      },
    });
    r.schedules({ id: `${ID}.recompute-structure-report.daily`, job: `${ID}.recompute-structure-report`, cron: '0 2 * * *' });

    r.routes({ method: 'get', path: '/', permission: `${ID}.contest.view`, handle: async (ctx) => contestOverviewPage(ID, contest, ctx) });
    r.menu({ id: `${ID}.overview`, titleKey: `${ID}.menu.overview`, path: '/', permission: `${ID}.contest.view` });
  },
});
