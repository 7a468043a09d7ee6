import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parse as parseYaml, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { distance } from 'fastest-levenshtein';
import { maskUri } from '../core/uri.js';
import { IntentOpsError } from '../core/errors.js';
import { DEFAULT_LABEL_POLICY } from '../core/labels/index.js';

/**
 * The one configuration schema. Precedence: explicit flags > environment > config file > defaults.
 * Read once, at the edge (the CLI), validated, and printed back with secrets masked by
 * `intentops config`.
 */
export const configSchema = z.object({
  embedder: z.string().default('hashed'),
  index: z.enum(['auto', 'exact', 'hnsw']).default('auto'),
  seed: z.number().int().default(42),
  targetPrecision: z.number().gt(0).max(1).default(0.97),
  /**
   * The routing thresholds when the held-out data cannot promise targetPrecision with its bound
   * (few confirmed labels, e.g. a model started from a handful per intent): best-bound (the cut
   * with the best bound among those whose held-out precision meets the target), point (the widest
   * such cut) or most-precise (see src/core/routing/calibrate.ts).
   */
  whenTargetUnreached: z.enum(['best-bound', 'point', 'most-precise']).default('best-bound'),
  /**
   * With best-bound: the widest cut (of the chosen policy family, held-out precision still at the
   * target) whose bound is at most this below the best one, so that bounds a tenth of a point
   * apart do not pick very different coverages from one model to the next
   * (src/core/routing/near-best.ts); 0 = the best bound's cut.
   */
  boundTolerance: z.number().min(0).max(0.5).default(0),
  /**
   * Cross-fitting keeps two examples of one intent in one fold when their index vectors are at least
   * this similar (cosine; joined transitively), so a held-out message is not scored by a model that
   * saw its paraphrase. Above 1 turns the grouping off. Default 0.9 (train.ts GROUP_SIMILARITY;
   * README, the loop: what it costs in the encoder's space).
   */
  groupSimilarity: z.number().gt(0).max(1.01).optional(),
  valFraction: z.number().gt(0).lt(1).default(0.1),
  validation: z.enum(['auto', 'split', 'cv']).default('auto'),
  /** Disk cache of slow embedders' training vectors; '' turns it off. */
  cacheDir: z.string().default('.intentops/cache'),
  data: z
    .object({
      textCol: z.string().default('text'),
      labelCol: z.string().default('label'),
      delimiter: z.string().length(1).optional(),
      maxTextLength: z.number().int().positive().default(5000),
      minExamplesPerLabel: z.number().int().positive().default(5),
      strict: z.boolean().default(false),
    })
    .prefault({}),
  onnx: z.object({ modelDir: z.string().optional(), threads: z.number().int().positive().default(2) }).prefault({}),
  openai: z
    .object({
      baseUrl: z.string().url().default('https://api.openai.com/v1'),
      apiKey: z.string().optional(),
      model: z.string().default('text-embedding-3-small'),
      azureEndpoint: z.string().url().optional(),
      azureDeployment: z.string().optional(),
      azureApiVersion: z.string().default('2024-10-21'),
    })
    .prefault({}),
  server: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** Items per `POST /v1/classify/batch`; more is 413. */
      maxBatch: z.number().int().positive().default(256),
      /** Request body limits in bytes (413 above): single classify and review calls / batch. */
      bodyLimitBytes: z.number().int().positive().default(64 * 1024),
      batchBodyLimitBytes: z.number().int().positive().default(1024 * 1024),
      /** Characters per message; longer is 400 naming the field and the limit. */
      maxTextLength: z.number().int().positive().default(5000),
      /** Stored as sha256 hex of the key (`intentops dev hash-key KEY`); none = auth off. */
      apiKeys: z.array(z.strictObject({ name: z.string().regex(/^[\w.@-]{1,64}$/, 'letters, digits, _ . @ - (1–64)'), sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'must be 64 hex digits (sha256 of the key)') })).default([]),
      /** Per API key token bucket; 0 turns it off. Applies only when API keys are configured. */
      rateLimit: z
        .object({
          ratePerSecond: z.number().min(0).default(50),
          burst: z.number().int().positive().default(100),
          uri: z.string().default('memory'),
        })
        .prefault({}),
      /** Allowed browser origins; empty = CORS off. */
      cors: z.array(z.string().min(1)).default([]),
      /** Processes serving the port (node:cluster); 0 = one per CPU core. Memory cache and rate limits are then per process. */
      workers: z.number().int().min(0).default(1),
      /**
       * Search the nearest examples of unsure messages on a thread of their own, so the event loop
       * keeps answering meanwhile: auto = for indexes of at least 2,000 examples (below that a
       * search costs less than handing it to a thread).
       */
      searchThread: z.enum(['auto', 'on', 'off']).default('auto'),
      /** How long SIGTERM waits for in-flight requests before cutting connections. */
      shutdownTimeoutMs: z.number().int().min(0).default(10_000),
      /**
       * Failed API-key attempts (401) allowed per client address within windowSeconds; beyond them
       * every request from that address is 429 with Retry-After until the window has passed. 0 = off.
       */
      authFailures: z
        .object({
          max: z.number().int().min(0).default(10),
          windowSeconds: z.number().int().positive().default(60),
        })
        .prefault({}),
    })
    .prefault({}),
  cache: z
    .object({
      /** `memory` (in-process LRU), `redis://host:port/db`, or `none`. */
      uri: z.string().default('memory'),
      ttlMs: z.number().int().positive().default(3_600_000),
    })
    .prefault({}),
  review: z
    .object({
      /** `sqlite:./intentops.db`, `sqlite::memory:`, `postgres://…`, or `none`. */
      uri: z.string().default('sqlite:./intentops.db'),
      /** Share of out-of-scope answers (the LLM said none) still queued for review, to audit them; the rest are not review work. */
      outOfScopeSampleRate: z.number().min(0).max(1).default(0.05),
      /**
       * Share of the LLM's answers also queued for review (reason llm_check, the LLM's intent as the
       * guess; chosen by the message text's hash): a person's label measures the LLM's live precision
       * (GET /v1/monitor `precision.llm`) and becomes a confirmed label that calibrates the next model.
       * They rank last in the queue (weight 0.3), so they use a reviewer's spare time. 0 = off.
       */
      llmCheckSampleRate: z.number().min(0).max(1).default(0.01),
      /** Open items at most: beyond it a new text is not queued (counted in /metrics); a repeat of a pending text is still counted on its item. 0 = no bound. */
      maxOpen: z.number().int().min(0).default(10_000),
      /** While the store is unreachable, unsure messages' items wait here (answer `review.pending: true`) and are written when it is back. '' = in memory. */
      spoolDir: z.string().default(''),
      /** Items the spool holds at most; beyond it they are dropped and counted. */
      spoolMax: z.number().int().positive().default(10_000),
      /**
       * Paraphrases of a waiting item ("I lost my card" / "my card is lost") counted on it, by the
       * cosine similarity of the vectors the model classified them from: `auto` (0.90 for sentence
       * encoders, measured on BANKING77; off for the hashed embedder, too imprecise), `off`, or a
       * similarity in (0, 1].
       */
      groupParaphrases: z
        .preprocess((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v), z.union([z.literal('auto'), z.literal('off'), z.number().gt(0).max(1)], { error: "must be auto, off or a cosine similarity in (0, 1] such as 0.9" }))
        .default('auto'),
    })
    .prefault({}),
  /** Experiment tracking: every `train` records a run here (`none` turns it off). */
  tracking: z.object({ uri: z.string().default('sqlite:./intentops.db') }).prefault({}),
  /** Model registry records (versions, aliases, audit log) and where bundles are stored. */
  registry: z
    .object({
      uri: z.string().default('sqlite:./intentops.db'),
      artifacts: z.string().default('file:./intentops-artifacts'),
      /** Where `models:/…` references are materialised for loading. */
      pollMs: z.number().int().min(0).default(5000),
    })
    .prefault({}),
  llm: z
    .object({
      provider: z.enum(['none', 'openai-chat']).default('none'),
      baseUrl: z.string().url().default('https://api.openai.com/v1'),
      apiKey: z.string().optional(),
      model: z.string().default('gpt-4o-mini'),
      azureEndpoint: z.string().url().optional(),
      azureDeployment: z.string().optional(),
      azureApiVersion: z.string().default('2024-10-21'),
      /** Per attempt; cut to what is left of deadlineMs. */
      timeoutMs: z.number().int().positive().default(10_000),
      /** The whole fallback of one message (queue wait, attempts, retry waits); past it the message goes to review with reason llm_timeout. */
      deadlineMs: z.number().int().positive().default(5_000),
      maxRetries: z.number().int().min(0).default(2),
      maxConcurrency: z.number().int().positive().default(8),
      /** After this many failed calls in a row the circuit opens: calls go straight to review for cooldownMs. */
      circuit: z.object({ failureThreshold: z.number().int().min(1).default(5), cooldownMs: z.number().int().min(0).default(30_000) }).prefault({}),
      /** Concurrent-call overflow waits in a queue of at most this many, then goes to review. */
      maxQueue: z.number().int().min(0).default(64),
      /** USD per 1M tokens by model, merged over the built-in table (gpt-4o-mini, gpt-4o, gpt-4.1-mini). */
      prices: z.record(z.string(), z.strictObject({ inputPer1M: z.number().min(0), outputPer1M: z.number().min(0) })).default({}),
      /** Versioned prompt template; default prompts/classify-v1.md. */
      promptFile: z.string().min(1).optional(),
      /** json_schema (structured output), json_object (JSON mode) or none, as the server supports. */
      responseFormat: z.enum(['json_schema', 'json_object', 'none']).default('json_schema'),
      /**
       * Count the share of unknown-intent messages the out-of-scope thresholds assume from the
       * LLM's answers ("none of these", or an intent the model does not have, over the latest
       * 2,000 messages) instead of estimating it from the novelty scores (src/app/classify/unknown-evidence.ts).
       */
      estimateUnknownShare: z.boolean().default(false),
      /**
       * Contested intents (src/core/routing/contested.ts): when, of the latest `window` LLM answers
       * to messages the model guessed as an intent, at least `minUnknown` and `minShare` of them
       * said "none" or named an intent the model does not have, a new intent is probably being
       * taken for that one, and its confident answers go to the LLM too (reason `contested`) until
       * the evidence fades or another model version is served.
       */
      contested: z
        .strictObject({
          enabled: z.boolean().default(true),
          window: z.number().int().min(1).max(1000).default(20),
          minUnknown: z.number().int().min(1).max(1000).default(3),
          minShare: z.number().min(0).max(1).default(0.2),
        })
        .refine((v) => v.minUnknown <= v.window, { message: 'minUnknown must be at most window', path: ['minUnknown'] })
        .prefault({}),
      /**
       * A registered LLM variant name (`intentops llm register FILE --name NAME`): serving answers with
       * its `champion` alias (provider, model, price and template from the variant; the call settings
       * above still apply), else with the settings and prompt file above. Followed every registry.pollMs.
       */
      variant: z.string().min(1).optional(),
      /** The LLM variant registry and its artifact store (the defaults of `intentops llm --registry/--artifacts`). */
      registryUri: z.string().min(1).default('sqlite:./intentops-llm.db'),
      artifactsUri: z.string().min(1).default('file:./intentops-llm-artifacts'),
      /**
       * Shadow mode for the variant's `challenger`: it also answers a sample of the messages the
       * champion answered (only the champion's answer is used; the challenger's is logged as
       * variant llm-shadow with its cost). On when `enabled`, or while `intentops llm rollout shadow NAME` is set.
       */
      /**
       * Intent discovery's suggested cluster names (`intentops discover`, GET /v1/discover) from
       * this LLM (llm.provider; not a registered variant): its own prompt and deadline, its cost
       * counted in the daily budget. Off, or without a provider: names from distinctive terms.
       */
      naming: z
        .object({
          enabled: z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean({ error: 'must be true or false (in the environment: true, false, 1 or 0)' })).default(true),
          /** The whole naming of one cluster (queue wait, attempts, retry waits); past it the cluster keeps its terms name. */
          deadlineMs: z.number().int().positive().default(20_000),
          /** Clusters the LLM names per discovery run at most, the largest first (a bound on the cost of one run). */
          maxClusters: z.number().int().min(1).max(50).default(20),
        })
        .prefault({}),
      shadow: z
        .object({
          enabled: z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean({ error: 'must be true or false (in the environment: true, false, 1 or 0)' })).default(false),
          /** Share (0–1) of the champion's LLM answers the challenger also answers: the most shadow can add to the LLM bill. */
          sampleRate: z.number().min(0).max(1).default(0.1),
          /** Challenger calls in flight at most; sampled messages beyond it are skipped (counted). */
          maxInFlight: z.number().int().min(1).max(64).default(4),
        })
        .prefault({}),
    })
    .prefault({}),
  /** OpenTelemetry traces over OTLP/HTTP; off (nothing registered) until an endpoint is set. See src/app/telemetry/tracing.ts. */
  telemetry: z
    .object({
      otlp: z
        .object({
          /** Collector base URL; `/v1/traces` is appended (as for OTEL_EXPORTER_OTLP_ENDPOINT). */
          endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:4318' }).optional(),
          /** The full traces URL, used as is; wins over endpoint. */
          tracesEndpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:4318/v1/traces' }).optional(),
          /** Sent with every export (e.g. an API key). Env form `k=v,k2=v2`, values percent-encoded (the OTel spec's format). */
          headers: z
            .preprocess((v, ctx) => {
              if (typeof v !== 'string') return v;
              const out: Record<string, string> = {};
              for (const pair of v.split(',').map((s) => s.trim()).filter(Boolean)) {
                const i = pair.indexOf('=');
                let value: string | undefined;
                try {
                  value = i > 0 ? decodeURIComponent(pair.slice(i + 1).trim()) : undefined;
                } catch {
                  // a stray % in the value: reported below
                }
                if (value === undefined) ctx.addIssue({ code: 'custom', message: `entry ${i > 0 ? `for ${JSON.stringify(pair.slice(0, i).trim())} has a bad %-escape` : `${JSON.stringify(pair.slice(0, 20))} is not key=value`}: use k=v,k2=v2 with values percent-encoded` });
                else out[pair.slice(0, i).trim()] = value;
              }
              return out;
            }, z.record(z.string(), z.string()).refine((h) => Object.keys(h).every((k) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)), { error: (i) => `${JSON.stringify(Object.keys(i.input as object).find((k) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)))} is not a valid HTTP header name` }))
            .default({}),
        })
        .prefault({}),
      serviceName: z.string().min(1).default('intentops'),
      /** Share of new traces recorded (0–1); a caller's traceparent sampled flag is always followed. */
      sampleRatio: z.number().min(0).max(1).default(1),
    })
    .prefault({}),
  /** The prediction log and feedback (monitoring, A/B analysis, retraining from feedback, `purge`). */
  events: z
    .object({
      /** `sqlite:./intentops.db` (the default, beside the review queue), `sqlite::memory:`, `postgres://…`, or `none` (no log, no feedback). */
      uri: z.string().default('sqlite:./intentops.db'),
      /** Store each message's text, PII-redacted, with its prediction (off: customer data). Needed to turn feedback into training examples. */
      storeTexts: z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean({ error: 'must be true or false (in the environment: true, false, 1 or 0)' })).default(false),
      /** `intentops purge` deletes predictions and feedback older than this. */
      retentionDays: z.number().int().positive().default(30),
      /** The recorder writes buffered predictions every flushMs or batchSize records, whichever comes first (small batches: a synchronous SQLite append of 500 rows holds the event loop for 4–10 ms); beyond maxBuffered the oldest are dropped (and counted). */
      flushMs: z.number().int().positive().default(100),
      batchSize: z.number().int().positive().default(100),
      maxBuffered: z.number().int().positive().default(10_000),
      /** Directory where prediction records wait when the buffer is full (the log is away) and at shutdown, written out once it is back; '' = none (they are dropped and counted in /metrics). */
      spoolDir: z.string().default(''),
      /** Records the spool holds at most. */
      spoolMax: z.number().int().positive().default(100_000),
      redact: z
        .object({
          /** Extra PII patterns, replaced by `[NAME]` after the built-in e-mail, phone, IBAN and card detectors. */
          patterns: z
            .array(
              z.strictObject({
                name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'letters, digits and _ (1–32), starting with a letter'),
                regex: z.string().superRefine((s, ctx) => {
                  let re: RegExp;
                  try {
                    re = new RegExp(s, 'u');
                  } catch (e) {
                    return ctx.addIssue({ code: 'custom', message: `does not compile: ${(e as Error).message}` });
                  }
                  if (re.test('')) ctx.addIssue({ code: 'custom', message: 'matches the empty string: make it match at least one character' });
                }),
                /** Extra flags among i, m, s (g and u are always on). */
                flags: z.string().regex(/^[ims]*$/, 'only i, m and s').optional(),
              }),
            )
            .default([]),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Drift, quality and cost monitors of the served model, and the daily LLM budget (GET /v1/monitor, `intentops monitor report`). */
  monitor: z
    .object({
      enabled: z.boolean().default(true),
      /** The sliding window live traffic is judged over (one-minute buckets). */
      windowMinutes: z.number().int().positive().default(60),
      /** Messages a rule needs before it may fire (PSI over many labels needs 10 per label at least). */
      minSamples: z.number().int().positive().default(200),
      /** Share of messages whose OOV share and centroid distance are computed (one extra embedding each). */
      sampleRate: z.number().min(0).max(1).default(0.1),
      /** Without a held-out confidence histogram in the bundle, the first this many predictions are the confidence reference. */
      baselineSamples: z.number().int().positive().default(1000),
      /** Training examples embedded at model load for class centroids; 0 = no centroid figures (use for paid embedding APIs). */
      profileExamples: z.number().int().min(0).default(10_000),
      /** How often the rules are evaluated and new alerts sent. */
      evaluateSeconds: z.number().int().positive().default(60),
      /**
       * The live precision audit: this share of accepted answers is judged (by the LLM when one is
       * configured, else queued for review with reason audit); GET /v1/monitor `precision` and the
       * intentops_accepted_precision_* gauges give the window's Wilson interval against the target.
       */
      audit: z.object({ sampleRate: z.number().min(0).max(1).default(0.01) }).prefault({}),
      thresholds: z
        .strictObject({
          labelPsi: z.strictObject({ warn: z.number().positive().default(0.2), alert: z.number().positive().default(0.25) }).prefault({}),
          /** Chi-square p-value below this warns; 0 turns the rule off. */
          labelChi2P: z.number().min(0).max(1).default(0.01),
          confidencePsi: z.strictObject({ warn: z.number().positive().default(0.2), alert: z.number().positive().default(0.25) }).prefault({}),
          /** llm + review share above the expected share (1 − validation coverage) plus this. */
          fallbackMargin: z.strictObject({ warn: z.number().min(0).default(0.1), alert: z.number().min(0).default(0.2) }).prefault({}),
          /** Mean unseen-token share above the expected (leave-one-out) share plus this. */
          oovMargin: z.strictObject({ warn: z.number().min(0).default(0.05), alert: z.number().min(0).default(0.15) }).prefault({}),
          /** Mean centroid distance over the training mean above this. */
          centroidRatio: z.strictObject({ warn: z.number().positive().default(1.1), alert: z.number().positive().default(1.25) }).prefault({}),
        })
        .prefault({}),
      webhook: z
        .object({
          /** Alerts are POSTed here as JSON `{source, model, alerts}` (Slack/Teams-style URLs carry a token: keep it out of shared files). */
          url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
          /** The same alert (kind and severity) is sent again only after this long. */
          cooldownMinutes: z.number().min(0).default(60),
          timeoutMs: z.number().int().positive().default(5000),
          retries: z.number().int().min(0).default(2),
        })
        .prefault({}),
      budget: z
        .object({
          /** US dollars of LLM calls per day; 0 = no budget. */
          dailyUsd: z.number().min(0).default(0),
          /** Alert when the day's spend reaches this share of the budget. */
          alertShare: z.number().gt(0).max(1).default(0.8),
          /** Once the day's budget is spent, unsure messages go to review (reason llm_budget) instead of the LLM. */
          hardCap: z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean({ error: 'must be true or false (in the environment: true, false, 1 or 0)' })).default(false),
          /** IANA time zone of the budget day. */
          timeZone: z.string().min(1).default('UTC'),
          /** `memory` (per process) or `redis://…` (one budget shared by all replicas). */
          uri: z.string().default('memory'),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Safe rollout between registry versions (`intentops rollout`, /v1/rollout); its state lives in registry.uri's database. */
  rollout: z
    .object({
      /** The gates file and labelled test data `rollout promote` gates the challenger with (CLI default; the API's only source). */
      gates: z.string().min(1).optional(),
      data: z.string().min(1).optional(),
      /** Messages that may wait for shadow scoring; beyond it shadow scores are skipped (requests never wait). */
      shadowQueue: z.number().int().min(0).default(1024),
      /** A/B rule: labelled outcomes per version before any verdict, the smallest accuracy difference worth acting on, the significance level. */
      minSamples: z.number().int().positive().default(100),
      minEffect: z.number().gt(0).lt(1).default(0.02),
      alpha: z.number().gt(0).lt(0.5).default(0.05),
    })
    .prefault({}),
  /**
   * `intentops loop run`: collect labels → retrain → gate against the champion → challenger →
   * shadow → promote (or stop and alert). Its state and journal live in registry.uri's database.
   */
  loop: z
    .object({
      /** The registered model the loop retrains (default: the only model in the registry). */
      name: z.string().min(1).optional(),
      /** The curated training data every retrain starts from (review, feedback labels are added to it). */
      data: z.string().min(1).optional(),
      /** Labelled held-out test data: the gate judges on it; no text of it is ever trained on. */
      test: z.string().min(1).optional(),
      /** The gates file the challenger must pass, against the champion, at retrain and again at promotion. */
      gates: z.string().min(1).default('deploy/gates.yaml'),
      /** Where each iteration writes its bundle (`<workDir>/iteration-<id>`). */
      workDir: z.string().min(1).default('.intentops/loop'),
      /** `loop run` without --once: one pass every this many minutes (the CronJob's schedule says it for Kubernetes). */
      everyMinutes: z.number().positive().default(60),
      /** New labels (review + feedback) since the last retrain needed before retraining again. */
      minNewLabels: z.number().int().min(0).default(50),
      shadow: z
        .object({
          /** Messages the challenger must have scored beside the champion (prediction log) before a verdict; 0 = no shadow, promote on the gates. */
          minMessages: z.number().int().min(0).default(500),
          /** Least share of those on which the challenger names the champion's intent; below it the loop stops. */
          minAgreement: z.number().min(0).max(1).default(0.8),
          /** Without enough shadow messages after this long, the loop stops (alert: no traffic reaches the shadow). */
          maxWaitHours: z.number().positive().default(72),
          /** Also require the A/B analysis of labelled outcomes to recommend promote (otherwise it can only stop a challenger significantly worse). */
          requireAbPromote: z.boolean().default(false),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * `intentops retrain`: the machine labels it learns from besides people's (the LLM's answers and
   * the model's own sure answers in the prediction log; texts stored only with events.storeTexts).
   */
  retrain: z
    .object({
      /**
       * Which people's labels calibrate the routing thresholds (all train): `sampled` (default):
       * only the items drawn at random from the traffic (audits, LLM checks), not those chosen for
       * doubt (queue order, discovery clusters, feedback corrections); or `all`. See
       * RetrainRequest.calibrateOn.
       */
      calibrateOn: z.enum(['all', 'sampled']).default('sampled'),
      labels: z
        .object({
          /** Candidates are the answers of the last sinceDays days. */
          sinceDays: z.number().positive().default(30),
          /** At most this many candidates are read (the newest kept): bounds memory on a big log. */
          maxCandidates: z.number().int().positive().default(100_000),
          /** Measure each candidate's agreement with the champion's nearest labelled examples (recorded; filters only with a minAgreement above 0, which implies it). */
          measureAgreement: z.boolean().default(false),
          llm: z
            .object({
              enabled: z.boolean().default(DEFAULT_LABEL_POLICY.llm.enabled),
              /** Training weight of one LLM label; a person's label weighs 1. */
              weight: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1 (a person\'s label weighs 1)').default(DEFAULT_LABEL_POLICY.llm.weight),
              minAgreement: z.number().min(0).max(1).default(DEFAULT_LABEL_POLICY.llm.minAgreement),
              /** Learn the LLM's "none of these" answers as out-of-scope examples. */
              outOfScope: z.boolean().default(DEFAULT_LABEL_POLICY.llm.outOfScope),
            })
            .prefault({}),
          self: z
            .object({
              enabled: z.boolean().default(DEFAULT_LABEL_POLICY.self.enabled),
              weight: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1 (a person\'s label weighs 1)').default(DEFAULT_LABEL_POLICY.self.weight),
              minAgreement: z.number().min(0).max(1).default(DEFAULT_LABEL_POLICY.self.minAgreement),
              /** Accepted answers below this confidence are not learnt from. */
              minConfidence: z.number().min(0).max(1).default(DEFAULT_LABEL_POLICY.self.minConfidence),
            })
            .prefault({}),
          /** Machine labels per intent (the newest kept); 0 = no cap. */
          maxPerIntent: z.number().int().min(0).default(DEFAULT_LABEL_POLICY.maxPerIntent),
          /** Machine labels per intent and UTC day; 0 = no cap. */
          maxPerIntentPerDay: z.number().int().min(0).default(DEFAULT_LABEL_POLICY.maxPerIntentPerDay),
        })
        .prefault({}),
    })
    .prefault({}),
  /** `intentops worker`: the message broker and the queue it works on. */
  broker: z
    .object({
      /** nats://HOST:PORT[,…] (NATS JetStream); kafka:// and azure-servicebus:// are recognised but not built in. */
      uri: z.string().default('nats://127.0.0.1:4222'),
      stream: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -').default('INTENTOPS'),
      in: z.string().min(1).default('intentops.in'),
      out: z.string().min(1).default('intentops.out'),
      dlq: z.string().min(1).default('intentops.dlq'),
      consumer: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -').default('intentops-worker'),
      /** Messages in flight per worker. */
      concurrency: z.number().int().positive().default(256),
      batch: z.number().int().positive().default(64),
      maxDeliver: z.number().int().positive().default(5),
      ackWaitMs: z.number().int().positive().default(30_000),
      retryDelayMs: z.number().int().positive().default(1000),
    })
    .prefault({}),
  logging: z
    .object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** Log message texts (off by default: they are customer data). */
      texts: z.boolean().default(false),
      /**
       * Share of requests logged at info (one line each); the others at debug. Every 5xx is logged
       * (error), and traffic counts are logged once per summarySeconds instead.
       */
      requestSampleRate: z.number().min(0).max(1).default(0),
      /** Period of the traffic-count log line (requests by status class and classification route); 0 = off. */
      summarySeconds: z.number().int().min(0).default(60),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;

/** Environment variables the app reads, and the config path each one sets. */
export const ENV_CATALOGUE = Object.freeze({
  INTENTOPS_EMBEDDER: 'embedder',
  INTENTOPS_INDEX: 'index',
  INTENTOPS_SEED: 'seed',
  INTENTOPS_CACHE_DIR: 'cacheDir',
  INTENTOPS_TARGET_PRECISION: 'targetPrecision',
  INTENTOPS_GROUP_SIMILARITY: 'groupSimilarity',
  INTENTOPS_ONNX_MODEL_DIR: 'onnx.modelDir',
  INTENTOPS_ONNX_THREADS: 'onnx.threads',
  // one key serves the embedder and the chat fallback unless INTENTOPS_LLM_API_KEY overrides it
  OPENAI_API_KEY: ['openai.apiKey', 'llm.apiKey'],
  OPENAI_BASE_URL: 'openai.baseUrl',
  INTENTOPS_OPENAI_EMBEDDING_MODEL: 'openai.model',
  AZURE_OPENAI_ENDPOINT: ['openai.azureEndpoint', 'llm.azureEndpoint'],
  AZURE_OPENAI_API_KEY: ['openai.apiKey', 'llm.apiKey'],
  AZURE_OPENAI_EMBEDDING_DEPLOYMENT: 'openai.azureDeployment',
  AZURE_OPENAI_API_VERSION: ['openai.azureApiVersion', 'llm.azureApiVersion'],
  INTENTOPS_HOST: 'server.host',
  INTENTOPS_PORT: 'server.port',
  INTENTOPS_MAX_BATCH: 'server.maxBatch',
  INTENTOPS_WORKERS: 'server.workers',
  INTENTOPS_SEARCH_THREAD: 'server.searchThread',
  INTENTOPS_API_KEYS: 'server.apiKeys',
  INTENTOPS_RATE_LIMIT_URI: 'server.rateLimit.uri',
  INTENTOPS_RATE_LIMIT_RPS: 'server.rateLimit.ratePerSecond',
  INTENTOPS_RATE_LIMIT_BURST: 'server.rateLimit.burst',
  INTENTOPS_CORS_ORIGINS: 'server.cors',
  INTENTOPS_CACHE_URI: 'cache.uri',
  INTENTOPS_CACHE_TTL_MS: 'cache.ttlMs',
  INTENTOPS_REVIEW_URI: 'review.uri',
  INTENTOPS_REVIEW_MAX_OPEN: 'review.maxOpen',
  INTENTOPS_REVIEW_SPOOL_DIR: 'review.spoolDir',
  INTENTOPS_REVIEW_GROUP_PARAPHRASES: 'review.groupParaphrases',
  INTENTOPS_REVIEW_OUT_OF_SCOPE_SAMPLE_RATE: 'review.outOfScopeSampleRate',
  INTENTOPS_REVIEW_LLM_CHECK_SAMPLE_RATE: 'review.llmCheckSampleRate',
  INTENTOPS_RETRAIN_CALIBRATE_ON: 'retrain.calibrateOn',
  INTENTOPS_TRACKING_URI: 'tracking.uri',
  INTENTOPS_REGISTRY_URI: 'registry.uri',
  INTENTOPS_ARTIFACTS_URI: 'registry.artifacts',
  INTENTOPS_REGISTRY_POLL_MS: 'registry.pollMs',
  INTENTOPS_LLM_PROVIDER: 'llm.provider',
  INTENTOPS_LLM_BASE_URL: 'llm.baseUrl',
  INTENTOPS_LLM_API_KEY: 'llm.apiKey',
  INTENTOPS_LLM_MODEL: 'llm.model',
  AZURE_OPENAI_CHAT_DEPLOYMENT: 'llm.azureDeployment',
  INTENTOPS_LLM_TIMEOUT_MS: 'llm.timeoutMs',
  INTENTOPS_LLM_DEADLINE_MS: 'llm.deadlineMs',
  INTENTOPS_LLM_VARIANT: 'llm.variant',
  INTENTOPS_LLM_REGISTRY_URI: 'llm.registryUri',
  INTENTOPS_LLM_ARTIFACTS_URI: 'llm.artifactsUri',
  INTENTOPS_LLM_NAMING: 'llm.naming.enabled',
  INTENTOPS_LLM_SHADOW: 'llm.shadow.enabled',
  INTENTOPS_LLM_SHADOW_SAMPLE_RATE: 'llm.shadow.sampleRate',
  // the standard OpenTelemetry names (OTEL_TRACES_SAMPLER_ARG: the sampler is always parent-based trace-id ratio)
  OTEL_EXPORTER_OTLP_ENDPOINT: 'telemetry.otlp.endpoint',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'telemetry.otlp.tracesEndpoint',
  OTEL_EXPORTER_OTLP_HEADERS: 'telemetry.otlp.headers',
  OTEL_SERVICE_NAME: 'telemetry.serviceName',
  OTEL_TRACES_SAMPLER_ARG: 'telemetry.sampleRatio',
  INTENTOPS_EVENTS_URI: 'events.uri',
  INTENTOPS_EVENTS_STORE_TEXTS: 'events.storeTexts',
  INTENTOPS_EVENTS_SPOOL_DIR: 'events.spoolDir',
  INTENTOPS_RETENTION_DAYS: 'events.retentionDays',
  INTENTOPS_LLM_DAILY_BUDGET_USD: 'monitor.budget.dailyUsd',
  INTENTOPS_LLM_BUDGET_HARD_CAP: 'monitor.budget.hardCap',
  INTENTOPS_ALERT_WEBHOOK_URL: 'monitor.webhook.url',
  INTENTOPS_SPEND_URI: 'monitor.budget.uri',
  INTENTOPS_AUDIT_SAMPLE_RATE: 'monitor.audit.sampleRate',
  INTENTOPS_ROLLOUT_GATES: 'rollout.gates',
  INTENTOPS_ROLLOUT_DATA: 'rollout.data',
  INTENTOPS_LOOP_NAME: 'loop.name',
  INTENTOPS_LOOP_DATA: 'loop.data',
  INTENTOPS_LOOP_TEST: 'loop.test',
  INTENTOPS_LOOP_GATES: 'loop.gates',
  INTENTOPS_LOOP_WORK_DIR: 'loop.workDir',
  INTENTOPS_LOOP_MIN_NEW_LABELS: 'loop.minNewLabels',
  INTENTOPS_LOOP_EVERY_MINUTES: 'loop.everyMinutes',
  INTENTOPS_BROKER_URI: 'broker.uri',
  INTENTOPS_BROKER_STREAM: 'broker.stream',
  INTENTOPS_BROKER_CONCURRENCY: 'broker.concurrency',
  INTENTOPS_BROKER_MAX_DELIVER: 'broker.maxDeliver',
  INTENTOPS_LOG_LEVEL: 'logging.level',
  INTENTOPS_LOG_TEXTS: 'logging.texts',
  INTENTOPS_LOG_REQUEST_SAMPLE_RATE: 'logging.requestSampleRate',
} as const satisfies Record<string, string | readonly string[]>);

/**
 * The environment variables read outside the configuration tree: each is read here and only here
 * (with ENV_CATALOGUE, every variable the app reads is in this file).
 */
export const PROCESS_ENV = Object.freeze({
  INTENTOPS_CONFIG: 'the config file (default ./intentops.yaml when it exists)',
  INTENTOPS_USER: 'who acts, in audit logs, feedback and review (default $USER, else the OS user)',
  USER: 'the OS user: who acts when INTENTOPS_USER is not set',
  INTENTOPS_DEBUG: 'the CLI prints the stack of an internal error',
  INTENTOPS_API_KEY: 'the API key `intentops rollout status --url` sends (default of --api-key)',
  INTENTOPS_CLI_MAIN: '1 runs the CLI when src/app/cli/main.ts is imported rather than run (tests)',
} as const);

/** Who acts, for audit logs, feedback and review: $INTENTOPS_USER, else $USER, else the OS user. */
export function whoAmI(env: NodeJS.ProcessEnv = process.env): string {
  if (env.INTENTOPS_USER) return env.INTENTOPS_USER;
  if (env.USER) return env.USER;
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** INTENTOPS_DEBUG: the CLI prints the stack of an internal error. */
export const debugStacks = (env: NodeJS.ProcessEnv): boolean => Boolean(env.INTENTOPS_DEBUG);

/** INTENTOPS_API_KEY: the key a CLI command sends to a running server (--api-key overrides it). */
export const remoteApiKey = (env: NodeJS.ProcessEnv): string | undefined => env.INTENTOPS_API_KEY;

/** INTENTOPS_CLI_MAIN=1: run the CLI although main.ts was imported (a test or a wrapper that imports it). */
export const cliMainForced = (env: NodeJS.ProcessEnv): boolean => env.INTENTOPS_CLI_MAIN === '1';

const SECRET_KEYS = /key|secret|token|password|sha256/i;
export const DEFAULT_CONFIG_FILE = 'intentops.yaml';

type Tree = Record<string, unknown>;

function setPath(t: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = t;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Tree;
  cur[parts[parts.length - 1]] = value;
}

function merge(a: Tree, b: Tree): Tree {
  const out: Tree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? merge(out[k] as Tree, v as Tree) : v;
  }
  return out;
}

const NUMERIC = /^(registry\.pollMs|seed|targetPrecision|groupSimilarity|onnx\.threads|server\.(port|maxBatch|workers|rateLimit\.(ratePerSecond|burst))|cache\.ttlMs|llm\.(timeoutMs|deadlineMs|shadow\.sampleRate)|review\.(outOfScopeSampleRate|llmCheckSampleRate|maxOpen)|logging\.requestSampleRate|telemetry\.sampleRatio|events\.retentionDays|monitor\.budget\.dailyUsd|monitor\.audit\.sampleRate|loop\.(minNewLabels|everyMinutes)|broker\.(concurrency|batch|maxDeliver|ackWaitMs|retryDelayMs))$/;

/** `name:sha256,name2:sha256` → `[{name, sha256}]` (the env form of server.apiKeys). */
export function parseApiKeysEnv(raw: string): { name: string; sha256: string }[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const i = entry.lastIndexOf(':');
      return i < 0 ? { name: entry, sha256: '' } : { name: entry.slice(0, i), sha256: entry.slice(i + 1) };
    });
}

/** Env vars arrive as strings; coerce where the schema wants a number, boolean or list. */
function coerce(path: string, raw: string): unknown {
  if (NUMERIC.test(path)) return Number(raw);
  if (path === 'logging.texts') return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
  if (path === 'server.apiKeys') return parseApiKeysEnv(raw);
  if (path === 'server.cors') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  return raw;
}

const envPaths = (p: string | readonly string[]): readonly string[] => (typeof p === 'string' ? [p] : p);

function readFile(path: string): { tree: Tree; lineOf: (p: (string | number)[]) => number | undefined } {
  const text = readFileSync(path, 'utf8');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = lc.linePos(e.pos[0]).line;
    throw new IntentOpsError('invalid_config', `invalid YAML: ${e.message.split('\n')[0]}`, { where: `${path}:${line}`, hint: 'fix the YAML syntax' });
  }
  const tree = (doc.toJS() ?? {}) as Tree;
  const lineOf = (p: (string | number)[]) => {
    const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lc.linePos(node.range[0]).line : undefined;
  };
  return { tree, lineOf };
}

export interface ConfigSources {
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly flags?: Tree;
}

/** Resolves the effective configuration; errors name the field, and the file line where it came from. */
export function loadConfig(src: ConfigSources = {}): Config {
  const env = src.env ?? {};
  const path = src.file ?? env.INTENTOPS_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  let fileTree: Tree = {};
  let lineOf: (p: (string | number)[]) => number | undefined = () => undefined;
  if (path) {
    if (!existsSync(path)) throw new IntentOpsError('not_found', `config file ${path} does not exist`, { where: path, hint: 'create it or drop --config / INTENTOPS_CONFIG' });
    ({ tree: fileTree, lineOf } = readFile(path));
  }
  const envTree: Tree = {};
  for (const [name, paths] of Object.entries(ENV_CATALOGUE)) {
    const v = env[name];
    if (v !== undefined && v !== '') for (const p of envPaths(paths)) setPath(envTree, p, coerce(p, v));
  }
  const merged = merge(merge(fileTree, envTree), src.flags ?? {});
  const parsed = configSchema.safeParse(merged);
  // where a setting came from: its file line, else the env variable that set it, else the field
  const whereOf = (at: (string | number)[]) => {
    const field = at.join('.');
    const line = path ? lineOf(at) : undefined;
    const fromEnv = Object.entries(ENV_CATALOGUE).find(([n, p]) => envPaths(p).some((q) => field === q || field.startsWith(`${q}.`)) && env[n] !== undefined)?.[0];
    return { field, where: line ? `${path}:${line} (${field})` : fromEnv ? `env ${fromEnv} (${field})` : field };
  };
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const { field, where } = whereOf(issue.path as (string | number)[]);
    throw new IntentOpsError('invalid_config', `${field}: ${issue.message}`, { where, hint: `see \`intentops config\` and the README's configuration table` });
  }
  // the schema drops keys it does not know: a misspelt setting would be ignored without a word
  const unknown = unknownKey(merged, parsed.data as unknown, []);
  if (unknown) {
    const { field, where } = whereOf(unknown.path);
    const near = closest(String(unknown.path.at(-1)), unknown.known);
    const parent = unknown.path.slice(0, -1).join('.');
    const known = unknown.known.length ? `${parent ? `${parent} takes` : 'the settings are'} ${unknown.known.join(', ')}` : `${parent} takes no settings`;
    throw new IntentOpsError('invalid_config', `${field}: unknown setting`, { where, hint: `${near ? `did you mean ${[...unknown.path.slice(0, -1), near].join('.')}? ` : ''}${known}; see \`intentops config\`` });
  }
  return parsed.data;
}

/**
 * The first key of the input that the parsed configuration does not have: the schema strips keys
 * it does not know (records keep theirs), so a key the input has and the output lacks is unknown.
 */
function unknownKey(input: unknown, output: unknown, path: (string | number)[]): { path: (string | number)[]; known: string[] } | undefined {
  if (Array.isArray(input)) {
    if (!Array.isArray(output) || output.length !== input.length) return undefined;
    for (let i = 0; i < input.length; i++) {
      const u = unknownKey(input[i], output[i], [...path, i]);
      if (u) return u;
    }
    return undefined;
  }
  if (!isPlain(input) || !isPlain(output)) return undefined;
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if (!Object.hasOwn(output, k)) return { path: [...path, k], known: Object.keys(output).sort() };
    const u = unknownKey(v, output[k], [...path, k]);
    if (u) return u;
  }
  return undefined;
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The known key nearest to a misspelt one (edit distance at most a third of its length, case ignored), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/** The configuration with secrets replaced, for printing. */
export function maskSecrets(c: unknown): unknown {
  if (Array.isArray(c)) return c.map(maskSecrets);
  if (c && typeof c === 'object') {
    return Object.fromEntries(
      Object.entries(c).map(([k, v]) => [
        k,
        // header maps (telemetry.otlp.headers) carry credentials under any name
        k === 'headers' && v && typeof v === 'object' && !Array.isArray(v)
          ? Object.fromEntries(Object.keys(v).map((h) => [h, '***']))
          : SECRET_KEYS.test(k) && typeof v === 'string'
            ? `${v.slice(0, 3)}…(${v.length} chars)`
            : maskSecrets(v),
      ]),
    );
  }
  // store, cache and rate-limiter URIs may carry a password
  if (typeof c === 'string') return maskUri(c);
  return c;
}

export { parseYaml };
