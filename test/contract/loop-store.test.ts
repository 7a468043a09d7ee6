import { freshPostgres } from '../helpers/registry-postgres.js';
import { freshSqlite } from '../helpers/registry-sqlite.js';
import { runLoopStoreContract } from './loop-store.contract.js';

runLoopStoreContract('sqlite (temp file)', freshSqlite);
// the real local server; fails (never skips) with the start command when it is down
runLoopStoreContract('postgres (127.0.0.1:5432, schema per test)', () => freshPostgres('loop'));
