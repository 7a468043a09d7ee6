import type { FeedbackStore } from '../../ports/feedback-store.js';
import { eventsConnection } from '../prediction-log/index.js';
import type { EventStoreOptions } from '../prediction-log/records.js';
import { openSqlDb } from '../sql/index.js';
import { SqlFeedbackStore } from './sql-store.js';

/**
 * Opens the feedback store named by `uri` (the same forms as openPredictionLog; normally the
 * same database, so feedback can be joined with its prediction): `sqlite:./intentops.db`,
 * `sqlite::memory:` (private to this store), `postgres://…[?schema=NAME]`. One code over the SQL
 * layer for both; an unknown scheme fails 'invalid_config' listing the valid forms.
 *
 * @example
 * const store = await openFeedbackStore('sqlite:./intentops.db');
 * await store.add({ predictionId: 'r1', correctIntent: 'refund', source: 'ana' });
 * await store.close();
 */
export async function openFeedbackStore(uri: string, options: EventStoreOptions = {}): Promise<FeedbackStore> {
  const db = await openSqlDb(uri, 'feedback store', eventsConnection(options));
  try {
    return await SqlFeedbackStore.open(db, options);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

export type { EventStoreOptions } from '../prediction-log/records.js';
export { SqlFeedbackStore } from './sql-store.js';
