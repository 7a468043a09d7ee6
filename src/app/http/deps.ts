import type { RateLimiter } from '../../ports/rate-limiter.js';
import type { TrackingStore } from '../../ports/tracking-store.js';
import type { LlmBudget } from '../services/budget.js';
import type { FeedbackService } from '../services/feedback.js';
import type { MonitorService } from '../services/monitor.js';
import type { ClassifyService } from '../classify/service.js';
import type { IntentModel } from '../classify/model.js';
import type { ReviewService } from '../services/review.js';
import type { RolloutService } from '../services/rollout.js';
import type { Logger, ServiceMetrics } from '../telemetry/index.js';
import type { ApiKey } from './auth.js';

/** The server's settings (from config.server and config.logging, read once at start-up). */
export interface HttpSettings {
  readonly maxBatch: number;
  readonly bodyLimitBytes: number;
  readonly batchBodyLimitBytes: number;
  readonly maxTextLength: number;
  readonly apiKeys: readonly ApiKey[];
  /** Allowed browser origins; empty = no CORS headers at all. */
  readonly cors: readonly string[];
  /** Log message texts (opt-in). */
  readonly logTexts: boolean;
  /** Share of requests logged at info; the rest at debug (5xx always at error). Default 0. */
  readonly requestSampleRate?: number;
  /** Period of the traffic-count log line; 0 = none. Default 60. */
  readonly summarySeconds?: number;
  /** Failed API-key attempts per client address and window before 429 (max 0 = off). Default 10 per 60 s. */
  readonly authFailures?: { readonly max: number; readonly windowSeconds: number };
}

/** Everything the HTTP app needs, built by the composition root (src/app/container.ts). */
export interface HttpDeps {
  readonly classify: ClassifyService;
  readonly model: () => IntentModel;
  readonly reviews?: ReviewService;
  readonly limiter?: RateLimiter;
  readonly metrics: ServiceMetrics;
  readonly log: Logger;
  /** Readiness probes by name (model, review, cache, rateLimiter): resolve when reachable. */
  readonly checks: Readonly<Record<string, () => Promise<void>>>;
  /**
   * The checks readiness depends on (default: all). A failing other check is reported in
   * /readyz's body (`status: degraded`) while the replica stays ready: it still answers without
   * that dependency (review items spooled, cache bypassed, rate limit per replica, …).
   */
  readonly essentialChecks?: readonly string[];
  readonly settings: HttpSettings;
  /** Serving models:/NAME@champion: the rollout of NAME (/v1/rollout); absent for a bundle directory. */
  readonly rollout?: { readonly name: string; readonly service: RolloutService };
  /** GET /v1/rollout/llm: the served LLM variants and the shadow comparison; absent without an LLM. */
  readonly llm?: {
    status(): import('../services/llm-status.js').LlmStatus;
    /** From the prediction log since an ISO time (absent when events.uri is none). */
    logged?(since: string): Promise<import('../classify/llm-shadow.js').LlmShadowFigures>;
  };
  /** POST /v1/feedback; absent when events.uri is none. */
  readonly feedback?: FeedbackService;
  /** GET /v1/monitor: the served model's monitor and the daily LLM budget. */
  readonly monitor?: () => MonitorService | undefined;
  readonly budget?: LlmBudget;
  /** The live precision audit and out-of-scope share (GET /v1/monitor `precision`, `outOfScope`). */
  readonly trust?: () => TrustView;
  /** GET /v1/runs; absent when tracking.uri is none. */
  readonly tracking?: TrackingStore;
  /** GET /v1/discover's cluster naming by the LLM (llm.naming); absent: names from distinctive terms. */
  readonly discover?: { readonly namer: import('../../ports/cluster-namer.js').ClusterNamer; readonly naming: import('../services/discover-naming.js').NamingOptions };
  /** Set while shutting down: /readyz answers 503 so balancers stop sending traffic. */
  readonly lifecycle?: { draining: boolean };
}

/** What GET /v1/monitor shows of the live precision promise. */
export interface TrustView {
  readonly precision: import('../services/audit.js').AuditFigures;
  readonly outOfScope: { readonly share: number; readonly messages: number; readonly unknownShareEstimate: number | null; readonly detector: boolean };
}
