/**
 * `npm run bench:serve`: the real HTTP server on loopback under wrk (autocannon without it), with
 * the default configuration (every feature that is on by default stays on: answer cache, review
 * queue, prediction log, drift monitors, info-level logging); every request's text is made
 * unique (a counter appended), so the answer cache never answers in the model's place.
 *   0. the serving overhead: a bare node:http JSON server (bench/bare-server.mjs: read, parse,
 *      answer JSON) and IntentOps at concurrency 64, alternating, `--rounds` times (default 3):
 *      req/s and p99 of each, their ratio (target ≥ 0.5, p99 < 20 ms), the median and the spread
 *   1. /v1/classify with the hashed model at concurrency 1, 16, 64 (one process)
 *   2. the same at 64 with one worker per core (`serve --workers N`, node:cluster)
 *   3. 30 % of requests sent to the fake LLM (100 ms per call, in its own process) next to
 *      confident traffic offered at a fixed rate: the confident requests' p99 with and without
 *      the LLM traffic, at the same offered rate (closed-loop load at saturation would measure
 *      CPU sharing, not whether slow fallbacks stall confident requests); each level is warmed
 *      up first and measured in three rounds, the median ratio reported
 * Prints req/s, p50/p99 and server memory, each with its ratio to the issue's target, and where
 * the cores went: the server, the load generator itself (wrk's process read from /proc while it
 * runs; autocannon's share of this process) and the rest of the machine.
 * All traffic stays on 127.0.0.1, bounded in count and time.
 */
import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/app/config.js';
import { openModel } from '../src/app/container/index.js';
import { trainModel } from '../src/app/container/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const args = process.argv.slice(2);
const opt = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const seconds = Number(opt('--seconds') ?? 8);
const dataDir = resolve(root, opt('--data') ?? '../shared/datasets/banking77');
const work = mkdtempSync(join(tmpdir(), 'intentops-bench-serve-'));

const rounds = Number(opt('--rounds') ?? 3);
/** `--overhead-only`: section 0 alone (the bare-server comparison), for quicker iterations. */
const overheadOnly = args.includes('--overhead-only');

const TARGET = { rps64: 5000, p99Ms: 20, workersRatio: 1.6, slowMixP99Ratio: 2, bareRatio: 0.5 };

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

async function startServer(model: string, env: Record<string, string>, extra: string[] = []): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  // the compiled CLI, as users run it (under tsx every dynamic import goes through its loader thread)
  // node flags as the Docker image's ENTRYPOINT sets them (a 32 MB young-generation semi-space)
  const child = spawn(process.execPath, ['--max-semi-space-size=32', join(root, 'bin/intentops.js'), 'serve', '--model', model, '--port', String(port), ...extra], {
    // defaults everywhere (cache, log level, monitors); only the stores' files are put in the scratch directory
    env: { PATH: process.env.PATH, HOME: process.env.HOME, INTENTOPS_REVIEW_URI: `sqlite:${join(work, `review-${port}.db`)}`, INTENTOPS_EVENTS_URI: `sqlite:${join(work, `events-${port}.db`)}`, INTENTOPS_TRACKING_URI: `sqlite:${join(work, `events-${port}.db`)}`, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stop: () =>
      new Promise((res) => {
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

/** The reference server (bench/bare-server.mjs), with the same node flags as the CLI. */
async function startBare(): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--max-semi-space-size=32', join(here, 'bare-server.mjs'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d) => String(d).includes('listening') && res());
    child.once('exit', (code) => rej(new Error(`bare server exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise((res) => {
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

/** RSS of the server and its cluster workers, from /proc (MB per process). */
function rssMb(pid: number): number[] {
  const kids = existsSync(`/proc/${pid}/task/${pid}/children`) ? readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
  return [pid, ...kids].map((p) => {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  });
}

/** CPU seconds (user + system) of a process and its descendants (cluster workers), with all their threads. */
function cpuSeconds(pid: number): number {
  const tick = 100; // USER_HZ on Linux
  const stat = (p: number) => {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8');
      const a = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(a[11]) + Number(a[12])) / tick;
    } catch {
      return 0;
    }
  };
  const kids = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const all = (p: number): number[] => [p, ...kids(p).flatMap(all)];
  return all(pid).reduce((sum, p) => sum + stat(p), 0);
}

/** Busy CPU seconds of the whole machine so far (/proc/stat: everything but idle and iowait). */
function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** Where the cores went during `run`: the server (all its processes and threads) and everything else (load generator, kernel). */
/** CPU seconds of a process's main thread alone (the event loop, and V8's work on it). */
function mainThreadSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const a = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(a[11]) + Number(a[12])) / 100;
  } catch {
    return 0;
  }
}

async function withCpu<T extends Load>(pid: number, run: () => Promise<T>): Promise<T & { serverCores: number; otherCores: number; mainCores: number }> {
  const s0 = cpuSeconds(pid);
  const e0 = mainThreadSeconds(pid);
  const m0 = machineBusySeconds();
  const t0 = performance.now();
  const r = await run();
  const secs = (performance.now() - t0) / 1000;
  const server = (cpuSeconds(pid) - s0) / secs;
  return { ...r, serverCores: server, mainCores: (mainThreadSeconds(pid) - e0) / secs, otherCores: Math.max(0, (machineBusySeconds() - m0) / secs - server) };
}

const cores = (l: { serverCores: number; otherCores: number; genCores?: number }) =>
  l.genCores === undefined
    ? `CPU: server ${l.serverCores.toFixed(2)} cores, load generator + kernel ${l.otherCores.toFixed(2)} cores`
    : `CPU: server ${l.serverCores.toFixed(2)} cores, load generator ${l.genCores.toFixed(2)} cores, the rest of the machine (kernel, other processes) ${Math.max(0, l.otherCores - l.genCores).toFixed(2)} cores`;

interface Load {
  /** CPU of the load generator itself (wrk's process; autocannon's share of this process), in cores over the run. */
  genCores?: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

/**
 * `rate`: offered requests per second over all connections (paced); default as fast as answers
 * come. `jitterMs`: a random pause of up to this long before each request (wrk only), so clients
 * whose requests all take the same time (the fake LLM's 100 ms) do not march in lockstep.
 */
function load(url: string, texts: string[], connections: number, duration = seconds, rate?: number, jitterMs?: number): Promise<Load> {
  return WRK ? loadWrk(url, texts, connections, duration, rate, jitterMs) : loadAutocannon(url, texts, connections, duration, rate);
}

/**
 * Each request's text gets its request number appended, written in punctuation (` !?.` …): no
 * two requests send the same text, so the answer cache (on by default) never answers in the
 * model's place, while the hashed model, which reads words only, sees the test message itself
 * (the route mix stays the test set's).
 */
const UNIQUE = true;
const MARKS = ['!', '?', '.', ',', ';', ':', '-', '~'];
function tag(n: number): string {
  let s = '';
  do {
    s += MARKS[n % 8];
    n = Math.floor(n / 8);
  } while (n > 0);
  return s;
}

function loadAutocannon(url: string, texts: string[], connections: number, duration = seconds, rate?: number): Promise<Load> {
  let i = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return new Promise((res, rej) => {
    autocannon(
      {
        url: `${url}/v1/classify`,
        connections,
        duration,
        ...(rate ? { overallRate: rate } : {}),
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify({ text: UNIQUE ? `${texts[i % texts.length]} ${tag(i++)}` : texts[i++ % texts.length] }) }),
          },
        ],
      },
      (err, r) => {
        if (err) return rej(err);
        const c1 = process.cpuUsage(c0);
        const genCores = (c1.user + c1.system) / 1e6 / ((performance.now() - t0) / 1000);
        res({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, errors: r.errors, non2xx: r.non2xx, genCores });
      },
    );
  });
}

/**
 * wrk (C, epoll) when installed: autocannon is JavaScript and, on 2 cores, saturates before the
 * server does (a profile showed the server 40 % idle under autocannon). Bodies cycle through
 * `texts` via a Lua script; latency percentiles come from wrk's --latency table.
 */
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));

function loadWrk(url: string, texts: string[], connections: number, duration = seconds, rate?: number, jitterMs?: number): Promise<Load> {
  // the JSON text up to its closing quote, so a counter can be appended per request
  const bodies = texts.map((t) => (UNIQUE ? `${JSON.stringify({ text: t }).slice(0, -2)} ` : JSON.stringify({ text: t })));
  const script = join(work, `wrk-${connections}-${Math.random().toString(36).slice(2)}.lua`);
  const lua = [
    'local bodies = {',
    ...bodies.map((b) => `  ${JSON.stringify(b)},`),
    '}',
    'local i = 0',
    'wrk.method = "POST"',
    'wrk.headers["content-type"] = "application/json"',
    // pacing: each connection waits connections/rate seconds between requests (wrk's delay hook)
    ...(rate ? [`delay = function() return ${Math.max(1, Math.round((1000 * connections) / rate))} end`] : jitterMs ? [`delay = function() return math.random(0, ${jitterMs}) end`] : []),
    'local n = 0',
    `local marks = { ${MARKS.map((m) => JSON.stringify(m)).join(', ')} }`,
    'local function tag(k)',
    '  local s = ""',
    '  repeat',
    '    local d = k % 8',
    '    s = s .. marks[d + 1]',
    '    k = (k - d) / 8',
    '  until k == 0',
    '  return s',
    'end',
    'request = function()',
    '  i = i % #bodies + 1',
    ...(UNIQUE ? ['  n = n + 1', '  return wrk.format(nil, nil, nil, bodies[i] .. tag(n) .. "\\"}")'] : ['  return wrk.format(nil, nil, nil, bodies[i])']),
    'end',
    'done = function(summary, latency, requests)',
    '  io.write(string.format("JSON{\\"requests\\":%d,\\"errors\\":%d,\\"non2xx\\":%d,\\"p50\\":%f,\\"p99\\":%f,\\"seconds\\":%f}\\n",',
    '    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status,',
    '    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))',
    'end',
  ].join('\n');
  writeFileSync(script, lua);
  return new Promise((res, rej) => {
    // one load thread: a second one only competes with the server for the same 2 cores
    const threads = 1;
    const child = spawn(WRK!, ['-t', String(threads), '-c', String(connections), '-d', `${duration}s`, '-s', script, `${url}/v1/classify`], { stdio: ['ignore', 'pipe', 'pipe'] });
    // wrk's own CPU, read from /proc while it runs (the last reading is within 100 ms of its end)
    const t0 = performance.now();
    let genSeconds = 0;
    const poll = setInterval(() => (genSeconds = cpuSeconds(child.pid!) || genSeconds), 100);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      clearInterval(poll);
      const genCores = genSeconds / ((performance.now() - t0) / 1000);
      const m = /JSON(\{.*\})/.exec(out);
      if (code !== 0 || !m) return rej(new Error(`wrk failed (${code}): ${out}`));
      const j = JSON.parse(m[1]);
      res({ rps: j.requests / j.seconds, p50: j.p50, p99: j.p99, requests: j.requests, errors: j.errors, non2xx: j.non2xx, genCores });
    });
  });
}

const fmt = (l: Load) => `${l.rps.toFixed(0).padStart(6)} req/s  p50 ${l.p50.toFixed(1)} ms  p99 ${l.p99.toFixed(1)} ms  (${l.requests} requests, ${l.errors} errors, ${l.non2xx} non-2xx)`;

execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

try {
  console.log(`IntentOps serving benchmark — ${cpus().length} cores, ${seconds} s per run, loopback only, load from ${WRK ? 'wrk' : 'autocannon (install wrk for a load generator that does not saturate first)'}\n`);
  const model = join(work, 'model');
  const trained = await trainModel({ data: join(dataDir, 'train.jsonl'), out: model, embedder: 'hashed', seed: 42 });
  const texts = readFileSync(join(dataDir, 'test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).text as string);
  const m = await openModel(model, loadConfig({ env: {} }));
  const preds = await m.classify(texts);
  const confident = texts.filter((_, i) => preds[i].route === 'accepted');
  const unsure = texts.filter((_, i) => preds[i].route !== 'accepted');
  console.log(`model: hashed, ${trained.manifest.labels.length} intents; test messages accepted at once: ${confident.length}, unsure: ${unsure.length}\n`);
  // the model alone, in this process: what a request costs before any serving work
  // CPU time, not wall time: on a shared machine the wall clock also counts other processes' turns
  const sample = texts.slice(0, 2000);
  const cpuMsPerMessage = async (opts: { neighbours?: number }) => {
    const c0 = process.cpuUsage();
    for (const t of sample) await m.classify([t], opts);
    const c1 = process.cpuUsage(c0);
    return (c1.user + c1.system) / 1000 / sample.length;
  };
  // warm-up (the JIT keeps optimising for a few thousand calls)
  await cpuMsPerMessage({});
  await cpuMsPerMessage({ neighbours: 0 });
  const modelMs = await cpuMsPerMessage({});
  const bareModelMs = await cpuMsPerMessage({ neighbours: 0 });
  console.log(`the model alone (in process, one message per call, default options): ${modelMs.toFixed(3)} ms of CPU per message, of which ${(modelMs - bareModelMs).toFixed(3)} ms the nearest-example searches of the unsure ones (${bareModelMs.toFixed(3)} ms without them)\n`);
  await m.close();
  const results: Record<string, unknown> = { modelMsPerMessage: modelMs };

  // 0. the serving overhead: the bare node:http server and IntentOps at concurrency 64, alternating
  const one = await startServer(model, {});
  const bare = await startBare();
  await load(one.url, texts, 16, 2); // warm-up
  await load(bare.url, texts, 16, 2);
  type Measured = Load & { serverCores: number; otherCores: number; mainCores: number };
  const pairs: { bare: Measured; io: Measured; ratio: number }[] = [];
  console.log(`serving overhead: a bare node:http JSON server and IntentOps (defaults), concurrency 64, ${rounds} alternating rounds`);
  for (let r = 0; r < rounds; r++) {
    const b = await withCpu(bare.child.pid!, () => load(bare.url, texts, 64));
    const io = await withCpu(one.child.pid!, () => load(one.url, texts, 64));
    pairs.push({ bare: b, io, ratio: io.rps / b.rps });
    console.log(`  round ${r + 1}: bare ${fmt(b)}\n           IntentOps ${fmt(io)}\n           ${cores(b)} (bare); ${cores(io)} (IntentOps)\n           ratio ×${(io.rps / b.rps).toFixed(2)}; server CPU per request ${((1000 * b.serverCores) / b.rps).toFixed(3)} vs ${((1000 * io.serverCores) / io.rps).toFixed(3)} ms (IntentOps: ${((1000 * io.mainCores) / io.rps).toFixed(3)} ms on the event loop's thread, the rest on its store, search, GC and I/O threads)`);
  }
  await bare.stop();
  const byRatio = [...pairs].sort((a, b) => a.ratio - b.ratio);
  const mid = byRatio[Math.floor(byRatio.length / 2)];
  const range = (xs: number[], d = 0) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
  const cpuPerReq = (l: Measured) => (1000 * l.serverCores) / l.rps;
  console.log(`  median ratio ×${mid.ratio.toFixed(2)} (target ≥ ${TARGET.bareRatio}: ${mid.ratio >= TARGET.bareRatio ? 'reached' : 'NOT reached'}); rounds ${pairs.map((x) => `×${x.ratio.toFixed(2)}`).join(', ')}`);
  console.log(`  IntentOps ${range(pairs.map((x) => x.io.rps))} req/s, p99 ${range(pairs.map((x) => x.io.p99), 1)} ms (target < ${TARGET.p99Ms} ms: median round ${mid.io.p99 < TARGET.p99Ms ? 'reached' : 'NOT reached'}); bare ${range(pairs.map((x) => x.bare.rps))} req/s, p99 ${range(pairs.map((x) => x.bare.p99), 1)} ms`);
  const gen = pairs.map((x) => x.bare.genCores).filter((g): g is number => g !== undefined);
  if (gen.length) {
    const busy = Math.max(...gen);
    console.log(`  load generator: ${range(gen, 2)} cores while loading the bare server${busy >= 0.9 ? ': it used a whole core, so it may be what limits the bare figure (and the ratio is then an upper bound of IntentOps against a faster generator; both servers are measured under the same one)' : ' (below a whole core: not what limits the bare figure)'}`);
  }
  console.log(`  server CPU per request (all threads): IntentOps ${range(pairs.map((x) => cpuPerReq(x.io)), 3)} ms, bare ${range(pairs.map((x) => cpuPerReq(x.bare)), 3)} ms; the model alone ${modelMs.toFixed(3)} ms`);
  // on a machine shared with other work both servers get about the same slice of the cores, and the
  // throughput ratio then tracks this one; it does not move with how busy the rest of the machine is
  const cpuRatios = pairs.map((x) => cpuPerReq(x.bare) / cpuPerReq(x.io));
  console.log(`  CPU-per-request ratio (bare ÷ IntentOps: the throughput ratio when both get the same cores) ×${range(cpuRatios, 3)}; server cores used: bare ${range(pairs.map((x) => x.bare.serverCores), 2)}, IntentOps ${range(pairs.map((x) => x.io.serverCores), 2)}`);
  // where a CPU-bound server's throughput ratio would be with no serving work at all: the bare request plus the model
  const bareCpu = cpuPerReq(mid.bare);
  const noOverhead = bareCpu / (bareCpu + modelMs);
  console.log(`  serving work beyond the model ≈ ${(cpuPerReq(mid.io) - modelMs).toFixed(3)} ms per request (median round); with none at all the ratio could reach only ×${noOverhead.toFixed(2)} (bare request + the model alone)\n`);
  results.overhead = { rounds: pairs, medianRatio: mid.ratio, noOverhead, modelMs };
  if (overheadOnly) {
    await one.stop();
    const jsonOut = opt('--json');
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
    rmSync(work, { recursive: true, force: true });
    process.exit(0);
  }

  // 1. one process, the test set's natural mix (unsure ones go to the review queue: a SQLite write each)
  const single: Record<number, Measured> = {};
  for (const c of [1, 16]) {
    single[c] = await withCpu(one.child.pid!, () => load(one.url, texts, c));
    console.log(`1 process, concurrency ${String(c).padStart(2)}: ${fmt(single[c])}`);
  }
  single[64] = mid.io;
  console.log(`1 process, concurrency 64: ${fmt(single[64])} (the median round above)`);
  console.log(`  at 64: ${cores(single[64])}; server CPU per request ${((1000 * single[64].serverCores) / single[64].rps).toFixed(3)} ms (all its threads)`);
  const mem1 = rssMb(one.child.pid!);
  await one.stop();
  console.log(`  ratio to target at 64: ×${(single[64].rps / TARGET.rps64).toFixed(2)} of ${TARGET.rps64} req/s; p99 ×${(TARGET.p99Ms / single[64].p99).toFixed(2)} (target < ${TARGET.p99Ms} ms); memory ${mem1.map((x) => x.toFixed(0)).join(' + ')} MB`);
  results.single = single;

  // 2. one worker per core
  const workers = cpus().length;
  const multi = await startServer(model, {}, ['--workers', String(workers)]);
  await load(multi.url, texts, 16, 2);
  const cluster = await withCpu(multi.child.pid!, () => load(multi.url, texts, 64));
  const memN = rssMb(multi.child.pid!);
  await multi.stop();
  // the issue's "≥ 1.6× that": 1.6 × the 5,000 req/s target, and (stricter) 1.6 × the measured one-process figure;
  // the latter is capped on a machine whose cores the load generator and the kernel's loopback share:
  // at most all cores ÷ the cores one process's run kept busy
  const busy1 = single[64].serverCores + single[64].otherCores;
  const ceiling = cpus().length / busy1;
  console.log(`\n${workers} workers, concurrency 64: ${fmt(cluster)}`);
  console.log(`  ${cores(cluster)}; memory per process ${memN.map((x) => x.toFixed(0)).join(' + ')} MB`);
  console.log(`  ×${(cluster.rps / (TARGET.workersRatio * TARGET.rps64)).toFixed(2)} of ${TARGET.workersRatio} × the ${TARGET.rps64} req/s target (${TARGET.workersRatio * TARGET.rps64} req/s)`);
  console.log(`  ×${(cluster.rps / single[64].rps).toFixed(2)} of the one-process figure (target ≥ ${TARGET.workersRatio}×; ceiling on this machine ×${ceiling.toFixed(2)}: the one-process run already kept ${busy1.toFixed(2)} of ${cpus().length} cores busy)`);
  results.cluster = { workers, load: cluster, rssMb: memN, ceiling };

  // 3. 30 % of requests to a slow LLM next to confident traffic, both offered at fixed rates
  const fakePort = await freePort();
  const fake = spawn(process.execPath, [join(root, 'bin/intentops.js'), 'dev', 'fake-llm', '--port', String(fakePort), '--latency-ms', '100'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    fake.stdout!.on('data', (d) => String(d).includes('listening') && res());
    fake.once('exit', (code) => rej(new Error(`fake LLM exited ${code}`)));
  });
  const cfg = join(work, 'llm.yaml');
  writeFileSync(cfg, `llm:\n  provider: openai-chat\n  baseUrl: http://127.0.0.1:${fakePort}/v1\n  model: gpt-4o-mini\n  maxConcurrency: 512\n  maxQueue: 4096\n  timeoutMs: 5000\n`);
  const mixed = await startServer(model, { INTENTOPS_CONFIG: cfg });
  await load(mixed.url, texts, 16, 2);
  const levels: Record<string, unknown>[] = [];
  // each LLM request takes ~100 ms, so N/s of them need ~N/10 connections in flight (plus the jitter)
  for (const RATE of [
    { confident: 700, llm: 300 },
    { confident: 1400, llm: 600 },
  ]) {
    const both = (secs: number) => Promise.all([load(mixed.url, confident, 16, secs, RATE.confident), load(mixed.url, unsure, Math.round(RATE.llm / 8), secs, undefined, 40)]);
    // warm-up at this level, not measured: connections to the LLM opened, code paths compiled, heap grown
    await both(3);
    // a p99 over ~10k requests moves with a few GC pauses: three rounds, the median ratio is reported
    const rounds: { paced: Load; fast: Load; slow: Load; ratio: number; fallbackMs: number }[] = [];
    for (let r = 0; r < 3; r++) {
      const paced = await withCpu(mixed.child.pid!, () => load(mixed.url, confident, 16, seconds, RATE.confident));
      const mix = await withCpu(mixed.child.pid!, async () => {
        const [f, s] = await both(seconds);
        return { ...f, slow: s };
      });
      const { slow, serverCores, otherCores: _o, ...fast } = mix;
      // the server's extra CPU with the LLM traffic, per fallback (all its threads)
      const fallbackMs = (1000 * (serverCores - (paced.serverCores * fast.rps) / paced.rps)) / slow.rps;
      rounds.push({ paced, fast, slow, ratio: fast.p99 / paced.p99, fallbackMs });
    }
    const { paced, fast, slow, ratio, fallbackMs } = [...rounds].sort((a, b) => a.ratio - b.ratio)[1];
    const share = slow.requests / (slow.requests + fast.requests);
    console.log(`\nmixed: confident traffic offered at ${RATE.confident} req/s, next to ${(100 * share).toFixed(0)} % of requests going to the fake LLM (100 ms each); the median of 3 rounds`);
    console.log(`  confident alone:     ${fmt(paced)}`);
    console.log(`  confident with LLM:  ${fmt(fast)}`);
    console.log(`  LLM traffic:         ${fmt(slow)}; server CPU per LLM fallback ${fallbackMs.toFixed(2)} ms (all its threads)`);
    console.log(`  confident p99 ${fast.p99.toFixed(1)} ms vs ${paced.p99.toFixed(1)} ms without the LLM traffic: ×${ratio.toFixed(2)} (target ≤ ${TARGET.slowMixP99Ratio}×; the 3 rounds: ${rounds.map((x) => `×${x.ratio.toFixed(2)}`).join(', ')})`);
    levels.push({ offered: RATE, llmShare: share, confident: fast, llm: slow, confidentAlone: paced, rounds: rounds.map((x) => x.ratio) });
  }
  const mem = rssMb(mixed.child.pid!);
  await mixed.stop();
  fake.kill('SIGTERM');
  console.log(`  server memory after the mixed runs: ${mem.map((x) => x.toFixed(0)).join(' + ')} MB`);
  results.mixed = levels;
  const jsonOut = opt('--json');
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
