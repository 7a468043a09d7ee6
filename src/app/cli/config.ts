import type { Command } from 'commander';
import { ENV_CATALOGUE, maskSecrets } from '../config.js';
import { action, configFor, out, type CliIO } from './context.js';

export function registerConfig(program: Command, io: CliIO): void {
  program
    .command('config')
    .description('print the effective configuration (flags > env > config file > defaults), secrets masked')
    .option('--env', 'also list the environment variables that are read')
    .action(
      action(io, async (o: { env?: boolean }, cmd: Command) => {
        const c = configFor(cmd, io);
        out(io, JSON.stringify(maskSecrets(c), null, 2));
        if (o.env) for (const [name, path] of Object.entries(ENV_CATALOGUE)) out(io, `${name.padEnd(36)} → ${path}${io.env[name] !== undefined ? '  (set)' : ''}`);
      }),
    );
}
