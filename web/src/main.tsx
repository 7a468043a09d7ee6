import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, apiKey, getJson, getOptional, getText, setApiKey } from './api.js';
import { liveFigures, scrape, type Live, type Scrape } from './live.js';
import { Cost, type Budget } from './panels/Cost.js';
import { Drift, type MonitorView } from './panels/Drift.js';
import { Models, type ModelsView } from './panels/Models.js';
import { Review, type ReviewItem } from './panels/Review.js';
import { Traffic } from './panels/Traffic.js';
import { toBudget, toMonitorView, toRollout, type RawMonitor, type RawRollout } from './adapt.js';
import './style.css';

const INTERVAL_MS = Number(new URLSearchParams(location.search).get('interval') ?? 2000);

interface State {
  live?: Live;
  budget?: Budget;
  monitor?: MonitorView;
  models: ModelsView;
  review: { enabled: boolean; items: ReviewItem[] };
  intents: string[];
  updatedAt?: number;
  error?: string;
  needsKey: boolean;
}

function App() {
  const [s, setS] = useState<State>({ models: { runs: [] }, review: { enabled: true, items: [] }, intents: [], needsKey: false });
  const prev = useRef<Scrape | undefined>(undefined);
  const refresh = useCallback(async () => {
    try {
      const cur = scrape(await getText('/metrics'), Date.now());
      const live = liveFigures(prev.current, cur);
      prev.current = cur;
      const [current, intents, review, monitor, rollout, runs] = await Promise.all([
        getJson<ModelsView['current'] & { intents: number }>('/v1/models/current'),
        getJson<{ intents: { name: string }[] }>('/v1/intents'),
        getOptional<{ items: ReviewItem[] }>('/v1/review?state=open&limit=20'),
        getOptional<RawMonitor>('/v1/monitor'),
        getOptional<RawRollout>('/v1/rollout'),
        getOptional<{ runs: ModelsView['runs'] }>('/v1/runs?limit=5'),
      ]);
      setS({
        live,
        budget: monitor ? toBudget(monitor) : undefined,
        monitor: monitor ? toMonitorView(monitor) : undefined,
        models: { current: current && { ...current, labels: current.intents }, rollout: rollout ? toRollout(rollout) : undefined, runs: runs?.runs ?? [] },
        review: { enabled: review !== undefined, items: review?.items ?? [] },
        intents: intents.intents.map((i) => i.name),
        updatedAt: Date.now(),
        needsKey: false,
      });
    } catch (e) {
      const needsKey = e instanceof ApiError && (e.status === 401 || e.status === 403);
      setS((old) => ({ ...old, error: (e as Error).message, needsKey }));
    }
  }, []);
  useEffect(() => {
    void refresh();
    const t = setInterval(() => void refresh(), INTERVAL_MS);
    return () => clearInterval(t);
  }, [refresh]);

  return (
    <main>
      <header>
        <h1>IntentOps</h1>
        <span class="muted" data-testid="updated">
          {s.updatedAt ? `updated ${new Date(s.updatedAt).toLocaleTimeString()}` : 'loading…'} · every {INTERVAL_MS / 1000} s
        </span>
        {s.error ? <span class="error" data-testid="error">{s.error}</span> : null}
      </header>
      {s.needsKey ? <KeyForm onSaved={refresh} /> : null}
      <div class="grid">
        <Traffic live={s.live} />
        <Cost live={s.live} budget={s.budget} />
        <Drift monitor={s.monitor} />
        <Models view={s.models} />
        <Review items={s.review.items} intents={s.intents} enabled={s.review.enabled} onChange={refresh} />
      </div>
    </main>
  );
}

function KeyForm({ onSaved }: { onSaved: () => void }) {
  const [k, setK] = useState(apiKey());
  return (
    <form
      class="panel key"
      onSubmit={(e) => {
        e.preventDefault();
        setApiKey(k.trim());
        onSaved();
      }}
    >
      <label>
        This server needs an API key: <input type="password" value={k} onInput={(e) => setK((e.target as HTMLInputElement).value)} autocomplete="off" />
      </label>
      <button type="submit">Use key</button>
      <span class="muted">kept in this tab only (sessionStorage)</span>
    </form>
  );
}

render(<App />, document.getElementById('app')!);
