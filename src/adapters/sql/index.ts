export { countOf, DEFAULT_TABLE_PREFIX, flag, fromJson, greatest, isoOf, least, prefixed, rowId, table, toJson, type Dialect, type SqlDb, type SqlExecutor, type SqlRow, type SqlValue } from './db.js';
export { lowerUlidFactory, ulidFactory, ulidTime, isUlid, type Clock, type RandomBytes } from './ids.js';
export { migrate, MIGRATIONS_TABLE, type Ledger, type Migration, type MigrationStep } from './migrate.js';
export { openSqlDb, pickSqlBackend, sqlBackends, sqlitePath, uriScheme, SQL_STORE_URIS, type SqlOpenOptions, type SqlScheme } from './uri.js';
export { openSqlite, sqliteHandle, type SqliteOptions } from './sqlite.js';
export { openPostgres, type PostgresOptions } from './postgres.js';
