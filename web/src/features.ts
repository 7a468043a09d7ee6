/** What the server switched on, as it tells the page (src/app/http/routes/dashboard.ts). */
export interface Features {
  readonly auth: boolean;
  readonly review: boolean;
  readonly monitor: boolean;
  readonly budget: boolean;
  readonly tracking: boolean;
  readonly rollout: boolean;
}

/** Every feature unknown (probed instead) when the page is not served by the app (e.g. `vite` during development). */
export function readFeatures(doc: Document = document): Partial<Features> {
  const content = doc.querySelector('meta[name="intentops-features"]')?.getAttribute('content');
  if (!content) return {};
  try {
    return JSON.parse(content) as Features;
  } catch {
    return {};
  }
}
