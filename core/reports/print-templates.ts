// The explicit list of print templates (views/reports/, no directory globbing): documents, their partials and
// the one print stylesheet. Adding a document = a .hbs file there and one line here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PRINT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views/reports');

export const PRINT_TEMPLATES = {
  /** Trusted constant CSS, inlined by code into every document's <style>. */
  stylesheet: 'print.css',
  partials: ['official-header'],
  documents: ['province-communes', 'report-table', 'forms/official-form'],
} as const;

export type PrintDocument = (typeof PRINT_TEMPLATES.documents)[number];
