import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/*
 * /metrics under node:cluster. Any worker may receive the scrape; it asks the primary, which
 * collects every worker's registry over IPC and aggregates them (counters and histograms
 * summed, gauges by their own aggregator), so one scrape describes the whole server.
 */

const ASK = 'intentops:metrics:ask';
const COLLECT = 'intentops:metrics:collect';
const PART = 'intentops:metrics:part';
const DONE = 'intentops:metrics:done';
const TIMEOUT_MS = 2000;

type Message = { type?: string; id?: number; data?: unknown; text?: string };

/** Primary: answers workers' scrape requests with all workers' metrics, aggregated. */
export function aggregateWorkerMetrics(): void {
  let seq = 0;
  const pending = new Map<number, { parts: object[]; left: number; asker: Worker; replyTo?: number; timer: NodeJS.Timeout }>();
  const finish = async (id: number) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    const text = await AggregatorRegistry.aggregate(p.parts).metrics();
    if (p.asker.isConnected()) p.asker.send({ type: DONE, id: p.replyTo, text });
  };
  cluster.on('message', (worker: Worker, msg: Message) => {
    if (msg?.type === ASK) {
      const id = ++seq;
      const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
      pending.set(id, { parts: [], left: live.length, asker: worker, replyTo: msg.id, timer: setTimeout(() => void finish(id), TIMEOUT_MS) });
      for (const w of live) w.send({ type: COLLECT, ask: id });
    } else if (msg?.type === PART) {
      const p = pending.get((msg as { ask?: number }).ask ?? -1);
      if (!p) return;
      p.parts.push(msg.data as object);
      if (--p.left === 0) void finish((msg as { ask: number }).ask);
    }
  });
}

/** Worker: contributes `registry` to aggregated scrapes; returns the function that renders one. */
export function joinClusterMetrics(registry: Registry): () => Promise<string> {
  let seq = 0;
  const waiting = new Map<number, (text: string) => void>();
  process.on('message', (msg: Message & { ask?: number }) => {
    if (msg?.type === COLLECT) {
      void registry.getMetricsAsJSON().then((data) => process.send?.({ type: PART, ask: msg.ask, data }));
    } else if (msg?.type === DONE && msg.id !== undefined) {
      waiting.get(msg.id)?.(msg.text ?? '');
      waiting.delete(msg.id);
    }
  });
  return () =>
    new Promise<string>((resolve) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        waiting.delete(id);
        void registry.metrics().then(resolve); // the primary did not answer: this worker's own view
      }, TIMEOUT_MS + 500);
      waiting.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      process.send?.({ type: ASK, id });
    });
}
