import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What postChat needs of a reply: the status, header lookup and the body text. */
export interface PostReply {
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

// One keep-alive pool per scheme for the whole process: the fallback talks to one endpoint,
// and under load reusing connections is most of the saving over a new TLS/TCP handshake.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' }),
};

/** Raised by postJson when no complete answer came within the timeout. */
export class PostTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'PostTimeout';
  }
}

/** The parsed request target of a URL, once per URL (the fallback posts to one endpoint). */
const targets = new Map<string, { https: boolean; options: RequestOptions }>();

function targetOf(url: string): { https: boolean; options: RequestOptions } {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(url);
    const https = u.protocol === 'https:';
    t = { https, options: { protocol: u.protocol, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || undefined, path: `${u.pathname}${u.search}`, method: 'POST', agent: https ? agents['https:'] : agents['http:'] } };
    if (targets.size > 64) targets.clear();
    targets.set(url, t);
  }
  return t;
}

/**
 * One JSON POST over node:http(s) with a keep-alive agent. Used instead of `fetch` on the
 * serving path: `fetch` builds a WHATWG Request, Response, stream and AbortSignal per call,
 * which profiled at about half the CPU time of an LLM fallback (the model call itself waits
 * on the network). The timeout is one timer per call (no AbortSignal is made unless the caller
 * passes one): past `timeoutMs` without a complete answer it rejects with PostTimeout; an abort
 * through `signal` rejects with an error whose cause is the signal's reason.
 */
export function postJson(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number, signal?: AbortSignal): Promise<PostReply> {
  const { https, options } = targetOf(url);
  const send = https ? httpsRequest : httpRequest;
  const payload = Buffer.from(body, 'utf8');
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(Object.assign(new Error('aborted'), { cause: signal.reason }));
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    const req = send({ ...options, headers: { ...headers, 'content-length': String(payload.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', (e) => done(() => reject(e)));
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        done(() => resolve({ status, ok: status >= 200 && status < 300, statusText: res.statusMessage ?? '', headers: headerLookup(res.headers), text: async () => text }));
      });
    });
    const timer = setTimeout(() => done(() => (req.destroy(), reject(new PostTimeout(timeoutMs)))), timeoutMs);
    const onAbort = () => done(() => (req.destroy(), reject(Object.assign(new Error('aborted'), { cause: signal!.reason }))));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', (e) => done(() => reject(e)));
    req.end(payload);
  });
}

function headerLookup(h: IncomingHttpHeaders): PostReply['headers'] {
  return {
    get(name) {
      const v = h[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };
}
