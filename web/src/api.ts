/** The dashboard's HTTP client: same origin, API key (if the server wants one) from sessionStorage. */
const KEY = 'intentops.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function apiKey(): string {
  return sessionStorage.getItem(KEY) ?? '';
}

export function setApiKey(k: string): void {
  if (k) sessionStorage.setItem(KEY, k);
  else sessionStorage.removeItem(KEY);
}

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (apiKey()) headers['x-api-key'] = apiKey();
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) {
    let detail = res.statusText;
    try {
      const p = (await res.json()) as { detail?: string; title?: string };
      detail = p.detail ?? p.title ?? detail;
    } catch {
      // not problem+json
    }
    throw new ApiError(res.status, detail);
  }
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await call('GET', path)).json() as Promise<T>;
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  return (await call('POST', path, body)).json() as Promise<T>;
}

export async function getText(path: string): Promise<string> {
  return (await call('GET', path)).text();
}
