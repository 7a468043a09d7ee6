import { hostname } from 'node:os';
import type { Run } from '../../ports/tracking-store.js';

/*
 * A run left 'running' by a process that is gone (a killed `train`) would say so for ever. A
 * tracked training records its pid and host and beats its heart (durationMs: time so far, every
 * HEARTBEAT_MS); a reader that finds such a run 'running' while its process is gone marks it
 * failed: on the run's own host when the pid no longer exists, on another host when the heartbeat
 * is older than staleMs. Runs without a pid (older versions, runs recorded after the fact) are left alone.
 */

/** How often a tracked training reports it is alive. */
export const HEARTBEAT_MS = 10_000;

export interface Liveness {
  /** This machine's name, compared with the run's `environment.host`. */
  readonly host: string;
  /** Whether process `pid` exists on this host. */
  isAlive(pid: number): boolean;
  /** On another host, a heartbeat older than this means the process is gone. Default 5 minutes (generous: a long synchronous step may delay a beat). */
  readonly staleMs: number;
}

/** The real host and process table. */
export const systemLiveness: Liveness = Object.freeze({
  host: hostname(),
  staleMs: 5 * 60_000,
  isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      // EPERM: it exists, owned by someone else
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
});

/** Why `run` cannot be running any more (its process is gone), or null. `now` in ms since the epoch. */
export function goneReason(run: Run, l: Liveness, now: number): string | null {
  if (run.status !== 'running') return null;
  const pid = run.environment.pid;
  if (typeof pid !== 'number') return null;
  const host = String(run.environment.host ?? '');
  // on this host the process table decides (a training that holds its event loop for a while is not dead)
  if (host === l.host) return l.isAlive(pid) ? null : `its process (pid ${pid} on ${host}) is gone: killed or crashed before it could record an outcome`;
  const beat = Date.parse(run.createdAt) + (run.durationMs ?? 0);
  if (now - beat > l.staleMs) return `no heartbeat from its process (pid ${pid} on ${host || 'an unknown host'}) since ${new Date(beat).toISOString()}: killed or crashed before it could record an outcome`;
  return null;
}
