import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { IntentOpsError } from '../../core/errors.js';
import { HTTP_STATUS } from '../errors.js';
import { ReviewConflict } from '../services/review.js';

/** One invalid field: a dotted path into the request (`items.3.text`) and what is wrong with it. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

const TITLES: Readonly<Record<number, string>> = Object.freeze({
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
});

/**
 * The one exception type of the HTTP layer: it carries the status, and `onError` turns it (and
 * every other error) into an RFC 9457 problem document. Domain errors (IntentOpsError) are mapped
 * through the app's HTTP_STATUS table instead of being wrapped by hand in each route.
 *
 * @example
 *   throw new HttpProblem(415, 'unsupported-media-type', 'send Content-Type: application/json');
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    /** Short slug, becomes `type: urn:intentops:problem:<slug>`. */
    readonly slug: string,
    /** Says what was wrong and how to fix it. */
    readonly detail: string,
    readonly extra: { errors?: readonly FieldError[]; headers?: Record<string, string>; members?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

function slugFor(code: string): string {
  return code.replace(/_/g, '-');
}

/** Any thrown value → HttpProblem. Internal errors hide their message (it may hold data). */
export function toProblem(e: unknown): HttpProblem {
  if (e instanceof HttpProblem) return e;
  if (e instanceof IntentOpsError) {
    if (e instanceof ReviewConflict) return new HttpProblem(409, 'conflict', describe(e));
    const status = HTTP_STATUS[e.code];
    if (status >= 500 && e.code !== 'unavailable') return new HttpProblem(status, 'internal', 'the server failed to handle the request; see the server log for this request id');
    return new HttpProblem(status, slugFor(e.code), describe(e), e.code === 'unavailable' ? { headers: { 'retry-after': '5' } } : {});
  }
  if (e instanceof HTTPException) {
    return new HttpProblem(e.status, e.status === 413 ? 'body-too-large' : 'http', e.message || TITLES[e.status] || 'error');
  }
  return new HttpProblem(500, 'internal', 'the server failed to handle the request; see the server log for this request id');
}

function describe(e: IntentOpsError): string {
  const head = e.where ? `${e.where}: ${e.message}` : e.message;
  return e.hint ? `${head} (${e.hint})` : head;
}

/** Renders a problem as `application/problem+json`, with the request id as `requestId`. */
export function problemResponse(c: Context, p: HttpProblem): Response {
  const requestId = c.get('requestId' as never) as string | undefined;
  const body = {
    type: `urn:intentops:problem:${p.slug}`,
    title: TITLES[p.status] ?? 'Error',
    status: p.status,
    detail: p.detail,
    instance: new URL(c.req.url).pathname,
    ...(requestId ? { requestId } : {}),
    ...(p.extra.errors?.length ? { errors: p.extra.errors } : {}),
    ...p.extra.members,
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json', ...p.extra.headers };
  return c.body(JSON.stringify(body), p.status as 400, headers);
}
