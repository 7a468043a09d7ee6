import { ApiError, getJson } from './api.js';

/**
 * What a panel knows about its data. Only `off` claims the feature is switched off, and only
 * when the server said so: before the first answer the panel is `loading`, without the API key
 * it is `needs-key`, and a failure is an `error` with the server's message.
 */
export type Loadable<T> =
  | { readonly kind: 'loading' }
  | { readonly kind: 'needs-key' }
  | { readonly kind: 'off' }
  | { readonly kind: 'starting'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'ok'; readonly value: T };

export const LOADING: Loadable<never> = { kind: 'loading' };
export const NEEDS_KEY: Loadable<never> = { kind: 'needs-key' };
export const OFF: Loadable<never> = { kind: 'off' };
export const ok = <T,>(value: T): Loadable<T> => ({ kind: 'ok', value });

export const map = <T, U>(l: Loadable<T>, f: (v: T) => U): Loadable<U> => (l.kind === 'ok' ? ok(f(l.value)) : l);

/**
 * GETs `path` unless the server said the feature is off (`enabled` false). Without that word
 * (`enabled` undefined: a server that does not describe itself) a 404 or 503 counts as off.
 */
export async function load<T>(enabled: boolean | undefined, path: string): Promise<Loadable<T>> {
  if (enabled === false) return OFF;
  try {
    return ok(await getJson<T>(path));
  } catch (e) {
    if (e instanceof ApiError) {
      if (e.status === 401 || e.status === 403) return NEEDS_KEY;
      if (enabled === undefined && (e.status === 404 || e.status === 503)) return OFF;
      if (e.status === 503) return { kind: 'starting', message: e.message };
    }
    return { kind: 'error', message: (e as Error).message };
  }
}

/** The line a panel shows instead of its content, for every state but `ok`. */
export function Pending({ state, off, what }: { state: Loadable<unknown>; off: string; what: string }) {
  switch (state.kind) {
    case 'ok':
      return null;
    case 'loading':
      return (
        <p class="muted" data-state="loading">
          Loading {what}…
        </p>
      );
    case 'needs-key':
      return (
        <p class="muted" data-state="needs-key">
          Enter the API key above to see {what}.
        </p>
      );
    case 'off':
      return (
        <p class="muted" data-state="off">
          {off}
        </p>
      );
    case 'starting':
      return (
        <p class="muted" data-state="starting">
          Starting: {state.message}
        </p>
      );
    case 'error':
      return (
        <p class="error" data-state="error">
          Cannot load {what}: {state.message}
        </p>
      );
  }
}
