import type { Logger } from '../telemetry/index.js';

/**
 * The process lifecycle `serve` and `worker` share: the first stop signal starts a graceful stop
 * (`stopped` resolves with it: stop taking work, drain, close); from then on a second one exits at
 * once with code 1. `dispose` removes the handlers once everything is closed, and `exitWhenIdle`
 * then keeps a driver's stray handle from holding the process.
 */
export interface ProcessLifecycle {
  /** Resolves with the first stop signal. */
  readonly stopped: Promise<NodeJS.Signals>;
  /** Removes the handlers (after everything is closed). */
  dispose(): void;
}

/** Listens for `signals` (default SIGTERM and SIGINT; a cluster worker stops on SIGTERM only). */
export function processLifecycle(log: Logger, signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): ProcessLifecycle {
  let resolve!: (s: NodeJS.Signals) => void;
  const stopped = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const force = (signal: NodeJS.Signals) => {
    log.warn({ signal }, 'second signal: exiting without draining');
    process.exit(1);
  };
  const first = (signal: NodeJS.Signals) => {
    for (const s of signals) {
      process.off(s, first);
      process.once(s, force);
    }
    resolve(signal);
  };
  for (const s of signals) process.on(s, first);
  return {
    stopped,
    dispose() {
      for (const s of signals) {
        process.off(s, first);
        process.off(s, force);
      }
    },
  };
}

/** Everything is closed: should a driver leave a handle behind, do not hang on it. */
export function exitWhenIdle(ms = 2000): void {
  setTimeout(() => process.exit(), ms).unref();
}
