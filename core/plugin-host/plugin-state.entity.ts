// Elections (minimal here; the structure issue adds phases and calendar) and each plugin's state per election.
import { EntitySchema } from '@mikro-orm/core';

export class Election {
  id!: string;
  name!: string;
  electionDay!: string;
  status!: string;
  createdAt!: Date;
}

export const ElectionSchema = new EntitySchema<Election>({
  class: Election,
  tableName: 'election',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string' },
    electionDay: { type: 'string', columnType: 'date', fieldName: 'election_day' },
    status: { type: 'string' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
  },
});

export class PluginState {
  electionId!: string;
  pluginId!: string;
  enabled!: boolean;
  settings!: Record<string, unknown>;
  updatedAt!: Date;
}

export const PluginStateSchema = new EntitySchema<PluginState>({
  class: PluginState,
  tableName: 'plugin_state',
  properties: {
    electionId: { type: 'uuid', primary: true, fieldName: 'election_id' },
    pluginId: { type: 'string', primary: true, fieldName: 'plugin_id' },
    enabled: { type: 'boolean' },
    settings: { type: 'json' },
    updatedAt: { type: 'Date', fieldName: 'updated_at' },
  },
});

export const PLUGIN_HOST_ENTITIES = [ElectionSchema, PluginStateSchema];
