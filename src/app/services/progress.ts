/** How long-running services report progress; the CLI draws a bar on a TTY, tests pass nothing. */
export interface ProgressReporter {
  start(task: string, total: number): void;
  update(done: number, info?: Record<string, string | number>): void;
  stop(): void;
}

export const silentProgress: ProgressReporter = Object.freeze({ start() {}, update() {}, stop() {} });
