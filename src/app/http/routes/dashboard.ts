import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { HttpDeps } from '../deps.js';
import { HttpProblem } from '../problem.js';
import type { Env } from '../types.js';

/**
 * What this server has switched on, told to the page in a `<meta>` tag (no inline script under
 * the CSP): the page calls only the API it has, and can tell "off" from "loading" and from
 * "needs an API key" before any request. Booleans only: nothing the page shows before a key.
 */
export interface DashboardFeatures {
  readonly auth: boolean;
  readonly review: boolean;
  readonly monitor: boolean;
  readonly budget: boolean;
  readonly tracking: boolean;
  readonly rollout: boolean;
}

export function dashboardFeatures(d: HttpDeps): DashboardFeatures {
  return { auth: d.settings.apiKeys.length > 0, review: !!d.reviews, monitor: !!d.monitor, budget: !!d.budget, tracking: !!d.tracking, rollout: !!d.rollout };
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

const TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
});
// everything comes from this origin; the page only talks to this server's API
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/** The built dashboard (web/ → dist/web): beside the compiled app, or dist/web from the sources under tsx. */
export function dashboardDir(): string | undefined {
  const candidates = ['../../../web', '../../../../dist/web'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((d) => existsSync(join(d, 'index.html')));
}

/**
 * `GET /dashboard/`: the operations dashboard, a static page (its own Vite build) that polls
 * /metrics and the /v1 API. Files are read once at start-up; only they are reachable.
 */
export function dashboardRoutes(dir = dashboardDir(), features?: DashboardFeatures): Hono<Env> {
  const r = new Hono<Env>();
  const files = new Map<string, { body: Uint8Array; type: string }>();
  let index: string | undefined;
  if (dir) {
    index = readFileSync(join(dir, 'index.html'), 'utf8');
    if (features) index = index.replace('</head>', `<meta name="intentops-features" content="${escapeAttr(JSON.stringify(features))}">\n</head>`);
    const assets = join(dir, 'assets');
    for (const f of existsSync(assets) ? readdirSync(assets) : []) {
      const type = TYPES[extname(f)];
      if (type) files.set(f, { body: readFileSync(join(assets, f)), type });
    }
  }
  const page = () => {
    if (!index) throw new HttpProblem(503, 'dashboard-not-built', 'the dashboard is not built: run `npm run build` (it builds web/ into dist/web)');
    return index;
  };
  r.get('/dashboard', (c) => c.redirect('/dashboard/', 301));
  r.get('/dashboard/', (c) => c.html(page(), 200, { 'content-security-policy': CSP, 'cache-control': 'no-cache' }));
  r.get('/dashboard/assets/:file', (c) => {
    const f = files.get(c.req.param('file'));
    if (!f) throw new HttpProblem(404, 'not-found', `no dashboard asset ${c.req.param('file')}`);
    // hashed file names: cache for good
    return c.body(f.body as Uint8Array<ArrayBuffer>, 200, { 'content-type': f.type, 'cache-control': 'public, max-age=31536000, immutable' });
  });
  return r;
}
