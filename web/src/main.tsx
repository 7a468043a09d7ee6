import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { apiKey, getText, setApiKey } from './api.js';
import { readFeatures } from './features.js';
import { History, toPrecision, type Precision } from './history.js';
import { liveFigures, scrape, type Live, type Scrape } from './live.js';
import { LOADING, NEEDS_KEY, OFF, load, map, type Loadable } from './loadable.js';
import { Cost, type Budget } from './panels/Cost.js';
import { Drift, type MonitorView } from './panels/Drift.js';
import { Models, type ModelsView, type RunRow } from './panels/Models.js';
import { REVIEW_SHOWN, Review, type ReviewItem, type ReviewQueue } from './panels/Review.js';
import { Discover } from './panels/Discover.js';
import { Traffic } from './panels/Traffic.js';
import { Trends } from './panels/Trends.js';
import { toBudget, toMonitorView, toRollout, type RawMonitor, type RawRollout } from './adapt.js';
import './style.css';

const INTERVAL_MS = Number(new URLSearchParams(location.search).get('interval') ?? 2000);
/** Until the server's monitor.windowMinutes is known (its default). */
const DEFAULT_WINDOW_MINUTES = 60;
const features = readFeatures();
const history = new History(DEFAULT_WINDOW_MINUTES * 60_000);
const KEY_REFUSED = 'the server did not accept this API key: enter another';
/** The key the server last refused; asked again only once the user submits a key. */
let rejectedKey: string | undefined;

interface State {
  live?: Live;
  budget: Loadable<Budget | undefined>;
  monitor: Loadable<MonitorView>;
  current: Loadable<NonNullable<ModelsView['current']>>;
  rollout: Loadable<ModelsView['rollout']>;
  runs: Loadable<readonly RunRow[]>;
  review: Loadable<ReviewQueue>;
  intents: string[];
  windowMinutes: number;
  precision?: Precision;
  updatedAt?: number;
  error?: string;
  needsKey: boolean;
}

/** Before any answer: off where the server said so, loading everywhere else. */
const until = (enabled: boolean | undefined) => (enabled === false ? OFF : LOADING);
const START: State = { budget: until(features.budget), monitor: until(features.monitor), current: LOADING, rollout: until(features.rollout), runs: until(features.tracking), review: until(features.review), intents: [], windowMinutes: DEFAULT_WINDOW_MINUTES, needsKey: false };

function App() {
  const [s, setS] = useState<State>(() => (features.auth && !apiKey() ? withoutKey(START) : START));
  const prev = useRef<Scrape | undefined>(undefined);
  // one refresh at a time (a refresh asked for meanwhile runs once after it): two overlapping
  // refreshes would both try a new key before either learnt the server refuses it
  const busy = useRef<{ again: boolean } | undefined>(undefined);
  const refresh = useCallback(async (): Promise<void> => {
    if (busy.current) {
      busy.current.again = true;
      return;
    }
    busy.current = { again: false };
    try {
      await refreshOnce();
    } finally {
      const again = busy.current.again;
      busy.current = undefined;
      if (again) void refresh();
    }
  }, []);
  const refreshOnce = useCallback(async () => {
    // /metrics needs no key: traffic and cost show even before one is entered
    let live: Live | undefined;
    let error: string | undefined;
    let first = false;
    try {
      const cur = scrape(await getText('/metrics'), Date.now());
      first = prev.current === undefined;
      live = liveFigures(prev.current, cur);
      prev.current = cur;
    } catch (e) {
      error = `/metrics: ${(e as Error).message}`;
    }
    // a rate needs two scrapes: the first one only starts the series
    const remember = (precision?: Precision) => {
      if (live && !first) history.add({ at: live.at, rps: live.rps, routesNow: live.routesNow, costUsd: live.llm.costUsd, precision });
    };
    const waitForKey = (why?: string) => {
      remember();
      setS((old) => ({ ...withoutKey(old), live: live ?? old.live, error: error ?? why, updatedAt: Date.now() }));
    };
    // a key the server refused is not tried again on every refresh (failed keys get the address throttled)
    if ((features.auth && !apiKey()) || (rejectedKey !== undefined && apiKey() === rejectedKey)) return waitForKey(apiKey() ? KEY_REFUSED : undefined);
    // one request first: a wrong key costs one failed attempt per refresh, not six
    const current = await load<NonNullable<ModelsView['current']> & { intents: number }>(true, '/v1/models/current');
    if (current.kind === 'needs-key') {
      rejectedKey = apiKey();
      return waitForKey(apiKey() ? KEY_REFUSED : undefined);
    }
    const watchesSpend = features.monitor === undefined && features.budget === undefined ? undefined : features.monitor || features.budget;
    const [intents, review, monitor, rollout, runs] = await Promise.all([
      load<{ intents: { name: string }[] }>(true, '/v1/intents'),
      load<{ items: ReviewItem[]; open?: number }>(features.review, `/v1/review?state=open&limit=${REVIEW_SHOWN}`),
      load<RawMonitor>(watchesSpend, '/v1/monitor'),
      load<RawRollout>(features.rollout, '/v1/rollout'),
      load<{ runs: RunRow[] }>(features.tracking, '/v1/runs?limit=5'),
    ]);
    const raw = monitor.kind === 'ok' ? monitor.value : undefined;
    const precision = toPrecision(raw);
    const windowMinutes = (raw?.settings as { windowMinutes?: number } | null | undefined)?.windowMinutes;
    if (windowMinutes) history.setWindow(windowMinutes * 60_000);
    remember(precision);
    const all = [current, intents, review, monitor, rollout, runs];
    const needsKey = all.some((l) => l.kind === 'needs-key');
    setS((old) => ({
      live: live ?? old.live,
      current: map(current, (c) => ({ ...c, labels: c.intents })),
      intents: intents.kind === 'ok' ? intents.value.intents.map((i) => i.name) : old.intents,
      review: map(review, (r) => ({ items: r.items, open: r.open })),
      // the budget and the drift figures share one answer; each is off only when the server says so
      budget: features.budget === false ? OFF : map(monitor, toBudget),
      monitor: features.monitor === false ? OFF : monitorState(monitor),
      rollout: map(rollout, toRollout),
      windowMinutes: windowMinutes ?? old.windowMinutes,
      precision,
      runs: map(runs, (r) => r.runs),
      updatedAt: Date.now(),
      error: error ?? (needsKey && apiKey() ? KEY_REFUSED : undefined),
      needsKey,
    }));
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
        {s.error ? (
          <span class="error" data-testid="error">
            {s.error}
          </span>
        ) : null}
      </header>
      {s.needsKey ? <KeyForm onSaved={refresh} /> : null}
      <div class="grid">
        <Traffic live={s.live} />
        <Cost live={s.live} budget={s.budget} />
        <Drift monitor={s.monitor} />
        <Models current={s.current} rollout={s.rollout} runs={s.runs} />
        <Trends c={history.columns()} windowMinutes={s.windowMinutes} precision={s.precision} />
        <Review items={s.review} intents={s.intents} onChange={refresh} />
        {s.needsKey ? null : <Discover enabled={features.review} />}
      </div>
    </main>
  );
}

/** An answer without figures: monitoring is off, or (when the server says it is on) still building its profile. */
function monitorState(m: Loadable<RawMonitor>): Loadable<MonitorView> {
  if (m.kind !== 'ok') return m;
  if (m.value.figures) return { kind: 'ok', value: toMonitorView(m.value) };
  return features.monitor ? { kind: 'starting', message: 'the reference profile of the served model is being built' } : OFF;
}

/** Every panel that reads /v1 waits for the key, unless the server said its feature is off. */
function withoutKey(s: State): State {
  const wait = (enabled: boolean | undefined) => (enabled === false ? OFF : NEEDS_KEY);
  const f = features;
  return { ...s, budget: wait(f.budget), monitor: wait(f.monitor), current: NEEDS_KEY, rollout: wait(f.rollout), runs: wait(f.tracking), review: wait(f.review), needsKey: true };
}

function KeyForm({ onSaved }: { onSaved: () => void }) {
  const [k, setK] = useState(apiKey());
  return (
    <form
      class="panel key"
      data-testid="key-form"
      onSubmit={(e) => {
        e.preventDefault();
        setApiKey(k.trim());
        rejectedKey = undefined;
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
