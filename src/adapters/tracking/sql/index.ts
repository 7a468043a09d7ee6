export { fromJson, table, toJson, type Dialect, type SqlDb, type SqlExecutor, type SqlRow, type SqlValue } from './db.js';
export { migrate, MIGRATIONS_TABLE, type Migration } from './migrate.js';
export { openSqlDb, sqlBackends, sqlitePath, uriScheme, type SqlScheme } from './uri.js';
export { openSqlite } from './sqlite.js';
export { openPostgres } from './postgres.js';
