/**
 * `intentops loop run` in a child process for the loop crash test: runs the loop of the config
 * file given, prints `CHECKPOINT <point>` when it reaches the point given and then hangs there
 * (the test SIGKILLs it: the loop dies with that step's outside effect committed).
 *
 *   node --import tsx test/fault/loop-child.ts CONFIG_FILE POINT
 */
import { loadConfig } from '../../src/app/config.js';
import { openLoop } from '../../src/app/container/index.js';
import { createLogger } from '../../src/app/telemetry/index.js';

const [configFile, point] = process.argv.slice(2);
const c = loadConfig({ file: configFile, env: {} });
const { service } = await openLoop(c, {
  who: 'loop-child',
  log: createLogger({ level: 'silent' }),
  checkpoint: async (p) => {
    if (p !== point) return;
    process.stdout.write(`CHECKPOINT ${p}\n`);
    setInterval(() => undefined, 1000); // keeps the process alive until the kill
    await new Promise(() => undefined);
  },
});
const r = await service.run();
process.stdout.write(`DONE ${r.status}\n`);
process.exit(0);
