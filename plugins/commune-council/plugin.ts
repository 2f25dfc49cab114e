// The commune People's Council plugin's manifest: the one place that lists everything this plugin contributes to the kernel.
import { contestOverviewPage, definePlugin, ballotInventorySetting } from '../../core/plugin-api/index.js';
import { communeCouncilContest as contest } from './contest-type.js';
import { messages } from './messages.js';

const ID = 'commune-council';

/** The election of commune People's Council deputies: its contest type, permissions, setting, job, schedule and overview page. */
export const communeCouncil = definePlugin({
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
      // Council units and candidates are the commune committee's; the NEC only guides council elections (rule 33).
      { id: `${ID}.units.manage`, level: 'commune', titleKey: `${ID}.permission.units.manage`, roles: ['commune-official'] },
      {
        id: `${ID}.candidates.manage`,
        level: 'electoral-unit',
        titleKey: `${ID}.permission.candidates.manage`,
        roles: ['commune-official'],
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

    r.jobs({
      name: `${ID}.recompute-structure-report`,
      // A no-op until the structure report exists; it keeps the schedule and job routing exercised.
      async handle() {
        return { ok: true };
      },
    });
    r.schedules({ id: `${ID}.recompute-structure-report.daily`, job: `${ID}.recompute-structure-report`, cron: '0 2 * * *' });

    r.routes({ method: 'get', path: '/', permission: `${ID}.contest.view`, handle: async (ctx) => contestOverviewPage(ID, contest, ctx) });
    r.menu({ id: `${ID}.overview`, titleKey: `${ID}.menu.overview`, path: '/', permission: `${ID}.contest.view` });
  },
});
