import cliProgress from 'cli-progress';
import { silentProgress, type ProgressReporter } from '../services/progress.js';

/** A progress bar on stderr when it is a terminal; silent otherwise (pipes, CI, tests). */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (!stream.isTTY) return silentProgress;
  let bar: cliProgress.SingleBar | null = null;
  return {
    start(task, total) {
      bar = new cliProgress.SingleBar(
        { stream, format: `${task.padEnd(28)} [{bar}] {percentage}% {value}/{total} {eta_formatted} {info}`, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { info: '' });
    },
    update(done, info) {
      bar?.update(done, { info: info ? Object.entries(info).map(([k, v]) => `${k}=${v}`).join(' ') : '' });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
