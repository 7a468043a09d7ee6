import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
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

/**
 * One JSON POST over node:http(s) with a keep-alive agent. Used instead of `fetch` on the
 * serving path: `fetch` builds a WHATWG Request, Response, stream and AbortSignal per call,
 * which profiled at about half the CPU time of an LLM fallback (the model call itself waits
 * on the network). Aborts through `signal` (timeouts, the caller) reject with the signal's reason.
 */
export function postJson(url: string, headers: Readonly<Record<string, string>>, body: string, signal: AbortSignal): Promise<PostReply> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const agent = u.protocol === 'https:' ? agents['https:'] : agents['http:'];
  const payload = Buffer.from(body, 'utf8');
  return new Promise((resolve, reject) => {
    const req = send(u, { method: 'POST', agent, headers: { ...headers, 'content-length': String(payload.length) }, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', reject);
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, statusText: res.statusMessage ?? '', headers: headerLookup(res.headers), text: async () => text });
      });
    });
    req.once('error', (e) => reject(signal.aborted ? Object.assign(new Error('aborted'), { cause: e }) : e));
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
