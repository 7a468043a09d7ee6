import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI embeddings wire format, for tests.
 * Serves `POST /v1/embeddings` (OpenAI and compatible servers) and
 * `POST /openai/deployments/{deployment}/embeddings?api-version=...` (Azure OpenAI).
 * Vectors are derived from a hash of the text, so they are deterministic and deliberately
 * NOT unit length (clients must normalise). Responses can be scripted to fail or stall.
 *
 * @example
 *   const server = await startEmbeddingsServer({ dim: 8, apiKey: 'sk-test' });
 *   server.script(2, { status: 429, retryAfter: '1' });   // next two requests get 429
 *   // ... POST `${server.baseUrl}/embeddings` ...
 *   await server.close();
 */

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** One scripted response. Without `status` the request is answered normally after `delayMs`. */
export interface Scripted {
  readonly status?: number;
  /** Sent as the `Retry-After` header (seconds or an HTTP date). */
  readonly retryAfter?: string;
  /** Sent as the `retry-after-ms` header (what OpenAI sends besides Retry-After). */
  readonly retryAfterMs?: number;
  readonly message?: string;
  readonly delayMs?: number;
}

export interface FakeServerOptions {
  /** Vector length when the request has no `dimensions`. Default 8. */
  readonly dim?: number;
  /** When set, requests must carry `Authorization: Bearer <key>` or `api-key: <key>`. */
  readonly apiKey?: string;
  /** Return `data` in reverse order (the `index` field stays right), as servers may. */
  readonly reverseOrder?: boolean;
  /** Reject requests with more inputs than this with 400, like OpenAI's 2048 limit. */
  readonly maxInputs?: number;
}

export interface FakeEmbeddingsServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `url + '/v1'`, the OpenAI-style base URL. */
  readonly baseUrl: string;
  /** Every request received, in order, scripted failures included. */
  readonly requests: RecordedRequest[];
  /** Answer the next `count` requests with `response`. */
  script(count: number, response: Scripted): void;
  close(): Promise<void>;
}

/** The raw (unnormalised) vector the server returns for `text`. */
export function fakeVector(text: string, dim: number): number[] {
  const out: number[] = [];
  for (let block = 0; out.length < dim; block++) {
    const h = createHash('sha256').update(`${block}\u0000${text}`).digest();
    for (let i = 0; i + 4 <= h.length && out.length < dim; i += 4) {
      out.push((h.readUInt32LE(i) / 0xffffffff) * 4 - 2);
    }
  }
  return out;
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: null } }));
}

export async function startEmbeddingsServer(opts: FakeServerOptions = {}): Promise<FakeEmbeddingsServer> {
  const requests: RecordedRequest[] = [];
  const queue: Scripted[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
      });
      const scripted = queue.shift();
      const answer = () => respond(req.method, url, req.headers, body, scripted, res);
      if (scripted?.delayMs) setTimeout(answer, scripted.delayMs);
      else answer();
    });
  });

  function respond(
    method: string | undefined,
    url: URL,
    headers: IncomingHttpHeaders,
    body: unknown,
    scripted: Scripted | undefined,
    res: ServerResponse,
  ): void {
    if (res.destroyed) return;
    if (scripted?.status) {
      const h: Record<string, string> = {};
      if (scripted.retryAfter !== undefined) h['retry-after'] = scripted.retryAfter;
      if (scripted.retryAfterMs !== undefined) h['retry-after-ms'] = String(scripted.retryAfterMs);
      return sendError(res, scripted.status, scripted.message ?? `scripted failure ${scripted.status}`, h);
    }
    const azure = /^\/openai\/deployments\/[^/]+\/embeddings$/.test(url.pathname);
    if (method !== 'POST' || (url.pathname !== '/v1/embeddings' && !azure)) {
      return sendError(res, 404, `no route for ${method} ${url.pathname}`);
    }
    if (azure && !url.searchParams.get('api-version')) return sendError(res, 400, 'api-version query parameter is missing');
    if (opts.apiKey !== undefined) {
      const given = azure ? headers['api-key'] : headers.authorization?.replace(/^Bearer /, '');
      if (given !== opts.apiKey) {
        // Like OpenAI, echo what was sent, so clients are tested for not leaking it.
        return sendError(res, 401, `Incorrect API key provided: ${String(given)}. You can find your API key in your account.`);
      }
    }
    const b = body as { input?: unknown; model?: unknown; dimensions?: unknown } | undefined;
    const inputs = typeof b?.input === 'string' ? [b.input] : b?.input;
    if (!Array.isArray(inputs) || inputs.some((t) => typeof t !== 'string' || t === '')) {
      return sendError(res, 400, "'$.input' is invalid: expected a non-empty string or an array of them");
    }
    if (!azure && typeof b?.model !== 'string') return sendError(res, 400, 'you must provide a model parameter');
    if (opts.maxInputs !== undefined && inputs.length > opts.maxInputs) {
      return sendError(res, 400, `too many inputs: ${inputs.length} > ${opts.maxInputs}`);
    }
    const dim = typeof b?.dimensions === 'number' ? b.dimensions : (opts.dim ?? 8);
    const data = (inputs as string[]).map((text, index) => ({ object: 'embedding', index, embedding: fakeVector(text, dim) }));
    if (opts.reverseOrder) data.reverse();
    const tokens = (inputs as string[]).reduce((n, t) => n + t.split(/\s+/).length, 0);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        object: 'list',
        data,
        model: typeof b?.model === 'string' ? b.model : 'azure-deployment',
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      }),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    script(count, response) {
      for (let i = 0; i < count; i++) queue.push(response);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
