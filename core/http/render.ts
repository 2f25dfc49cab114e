// Rendering helpers: a page in the main layout with the common view data (language, version, menu, request id).
import type { Request, Response } from 'express';
import type { ViewEngine } from '../views/view-engine.js';

export interface PageOptions {
  title?: string;
  nav?: string;
  status?: number;
  flash?: { kind: 'ok' | 'error' | 'info'; text: string };
}

export function renderPage(views: ViewEngine, version: string) {
  return (req: Request, res: Response, page: string, data: Record<string, unknown> = {}, o: PageOptions = {}): void => {
    const html = views.render(page, {
      ...res.locals,
      version,
      title: o.title,
      nav: o.nav,
      flash: o.flash ?? res.locals.flash,
      ...data,
    });
    res.status(o.status ?? 200).type('html').send(html);
  };
}

export type Render = ReturnType<typeof renderPage>;

/** Page/size/sort from a query string, clamped. */
export function pageParams(q: Record<string, unknown>, defaultSize = 50): { page: number; size: number; offset: number } {
  const page = Math.max(1, Math.min(100000, parseInt(String(q.page ?? '1'), 10) || 1));
  const size = Math.max(10, Math.min(200, parseInt(String(q.size ?? defaultSize), 10) || defaultSize));
  return { page, size, offset: (page - 1) * size };
}

export function pager(page: number, size: number, total: number) {
  const pages = Math.max(1, Math.ceil(total / size));
  return { current: page, pages, total, prev: page > 1 ? page - 1 : undefined, next: page < pages ? page + 1 : undefined };
}
