import type { PredictionLog, PredictionQuery, PredictionRecord, Variant } from '../../ports/prediction-log.js';
import { openStoreThread, type StoreThread } from '../sqlite-thread.js';
import { closedError } from './records.js';

/**
 * The SQLite prediction log on a thread of its own (see ../sqlite-thread.ts): the serving path
 * appends a batch every 100 ms, and a synchronous insert of that batch (and the index updates of
 * a growing table) held the event loop for milliseconds.
 */
export async function openThreadedPredictionLog(path: string): Promise<PredictionLog> {
  return new ThreadedPredictionLog(await openStoreThread('predictions', path, () => closedError('SQLite prediction log')));
}

class ThreadedPredictionLog implements PredictionLog {
  constructor(private readonly t: StoreThread) {}

  append(records: readonly PredictionRecord[]): Promise<void> {
    return this.t.call('append', records);
  }

  get(id: string, variant?: Variant): Promise<PredictionRecord | undefined> {
    return this.t.call('get', id, variant);
  }

  query(q?: PredictionQuery): Promise<PredictionRecord[]> {
    return this.t.call('query', q);
  }

  purge(before: string): Promise<number> {
    return this.t.call('purge', before);
  }

  count(q?: Omit<PredictionQuery, 'limit'>): Promise<number> {
    return this.t.call('count', q);
  }

  close(): Promise<void> {
    return this.t.close();
  }
}
