// The page every election-type plugin shows about its contest: its parameters (seat limits, list surplus,
// additional-election rule, structure targets, dossier forms) rendered from the ContestTypeDef it declares.
import type { ContestTypeDef } from './contest-type.js';
import type { PluginRequestContext, PluginResponse } from './types.js';

/**
 * A contest type's parameters with their labels in the reader's language, for a plugin's `views/overview.hbs`.
 * Labels are the plugin's own message keys `<pluginId>.overview.*`.
 */
export function contestOverviewPage(pluginId: string, contest: ContestTypeDef, ctx: PluginRequestContext): PluginResponse {
  const t = (key: string, params?: Record<string, unknown>) => ctx.t(`${pluginId}.overview.${key}`, params);
  const title = ctx.t(contest.titleKey);
  return {
    view: `${pluginId}/overview`,
    title,
    data: {
      ...contest,
      title,
      unitLevelText: t(`level.${contest.unitLevel}`),
      additionalElectionText: t(`additional-election.${contest.additionalElection.kind}`, { ...contest.additionalElection }),
      targets: contest.structureTargets.map((s) => ({
        ...s,
        title: ctx.t(s.titleKey),
        kind: t(s.binding ? 'binding' : 'guidance'),
      })),
      labels: {
        unitLevel: t('unit-level'),
        seats: t('seats'),
        surplus: t('surplus'),
        seatsColumn: t('seats-column'),
        minSurplusColumn: t('min-surplus-column'),
        additionalElection: t('additional-election'),
        structureTargets: t('structure-targets'),
        noTargets: t('no-targets'),
        dossierForms: t('dossier-forms'),
        application: t('application'),
        cv: t('cv'),
        biography: t('biography'),
        assetDeclaration: t('asset-declaration'),
        dossierSets: t('dossier-sets'),
        boardSize: t('board-size'),
        turnoutThreshold: t('turnout-threshold'),
        winThreshold: t('win-threshold'),
      },
    },
  };
}
