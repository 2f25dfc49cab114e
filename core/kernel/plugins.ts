// The installed election-type plugins, listed explicitly: the one place core imports plugins (no directory globbing).
import type { PluginManifest } from '../plugin-api/index.js';
import { nationalAssembly } from '../../plugins/national-assembly/plugin.js';
import { provincialCouncil } from '../../plugins/provincial-council/plugin.js';
import { communeCouncil } from '../../plugins/commune-council/plugin.js';

/** Manifests handed to PluginRegistry.build() at boot, in menu order. */
export const INSTALLED_PLUGINS: readonly PluginManifest[] = [nationalAssembly, provincialCouncil, communeCouncil];
