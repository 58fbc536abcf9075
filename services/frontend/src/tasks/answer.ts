import type { Request, Response } from 'express';
import type { Stats } from '../backend/index.js';
import type { Flash } from '../session.js';

type Context = Record<string, unknown>;

/** What htmx swaps: one partial, with the header counts and a message out-of-band when given. */
export interface Fragment {
  status?: number;
  view?: string;
  context?: Context;
  stats?: Stats;
  /** No counts were at hand: the place for them is swapped in empty, to be filled from /counts. */
  countsLater?: true;
  flash?: Flash;
  headers?: Record<string, string>;
}

/** What a browser without htmx gets: a whole page, built from the very partials htmx swaps, or a redirect (POST-redirect-GET). */
export type FullPage = { status?: number; view: string; context?: Context } | { redirect: string; flash?: Flash };

export interface Answer {
  /** The status of either form, unless the fragment or page says otherwise. */
  status?: number;
  fragment: () => Fragment | Promise<Fragment>;
  page: () => FullPage | Promise<FullPage>;
}

export function isHtmx(req: Request): boolean {
  // A history restore after a cache miss wants the whole page, though htmx sends it.
  return req.get('hx-request') === 'true' && req.get('hx-history-restore-request') !== 'true';
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * The one place that chooses between the fragment and the full page. Only the chosen one is
 * built, so a handler may describe both and pay for one.
 */
export async function answer(req: Request, res: Response, { status = 200, fragment, page }: Answer): Promise<void> {
  try {
    if (isHtmx(req)) return await sendFragment(res, status, await fragment());
    const full = await page();
    if ('redirect' in full) {
      if (full.flash) req.session.flash(full.flash.kind, full.flash.text);
      return res.redirect(303, full.redirect);
    }
    const html = await renderToString(res, full.view, { ...full.context, today: today() });
    res.status(full.status ?? status).type('html').send(html);
  } catch (error) {
    // Called from middleware as well as from routes, so it hands its own failures on.
    req.next?.(error);
  }
}

async function sendFragment(res: Response, status: number, fragment: Fragment): Promise<void> {
  const { view, context, stats, countsLater, flash } = fragment;
  const parts = await Promise.all([
    view ? renderToString(res, view, { ...context, today: today() }) : '',
    stats || countsLater ? renderToString(res, 'tasks/counts.njk', { stats, countsLater, countsOob: true }) : '',
    flash ? renderToString(res, 'messages.njk', { flash, messagesOob: true }) : '',
  ]);
  res
    .status(fragment.status ?? status)
    .set(fragment.headers ?? {})
    .type('html')
    .send(parts.filter((part) => part !== '').join('\n'));
}

/**
 * An error for the user: a page of its own, or with htmx a message in the page's message
 * area (the element that triggered the request may be the wrong place for it).
 */
export const errorFragment = (status: number, text: string): Fragment => ({
  status,
  view: 'messages.njk',
  context: { flash: { kind: 'error', text } },
  headers: { 'HX-Retarget': '#messages', 'HX-Reswap': 'outerHTML' },
});

export const errorPage = (status: number, text: string): FullPage => ({ status, view: 'error.njk', context: { status, text } });

export function sendError(req: Request, res: Response, status: number, text: string): Promise<void> {
  return answer(req, res, { status, fragment: () => errorFragment(status, text), page: () => errorPage(status, text) });
}

function renderToString(res: Response, view: string, context: Context): Promise<string> {
  return new Promise((resolve, reject) => {
    res.render(view, context, (error: Error | null, html?: string) => (error ? reject(error) : resolve(html ?? '')));
  });
}
