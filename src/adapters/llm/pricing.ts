/** USD per 1M tokens, as providers list them. */
export interface Price {
  readonly inputPer1M: number;
  readonly outputPer1M: number;
}

export type PriceTable = Readonly<Record<string, Price>>;

/**
 * List prices (standard tier, USD per 1M tokens) of the models most used as a fallback. Config
 * `prices` entries are merged over these; a model in neither costs 0 (local servers are free).
 */
export const DEFAULT_PRICES: PriceTable = Object.freeze({
  'gpt-4o-mini': Object.freeze({ inputPer1M: 0.15, outputPer1M: 0.6 }),
  'gpt-4o': Object.freeze({ inputPer1M: 2.5, outputPer1M: 10 }),
  'gpt-4.1-mini': Object.freeze({ inputPer1M: 0.4, outputPer1M: 1.6 }),
});

/**
 * The price for a call: the model the server says answered, then the configured model; each
 * also without a dated snapshot suffix (`gpt-4o-mini-2024-07-18` → `gpt-4o-mini`). No prefix
 * guessing: `gpt-4o` must not price `gpt-4o-mini`.
 */
export function priceOf(table: PriceTable, ...models: (string | undefined)[]): Price | undefined {
  for (const m of models) {
    if (!m) continue;
    for (const key of [m, m.replace(/-\d{4}-\d{2}-\d{2}$/, '')]) {
      if (Object.hasOwn(table, key)) return table[key];
    }
  }
  return undefined;
}

export function costUsd(price: Price | undefined, promptTokens: number, completionTokens: number): number {
  if (!price) return 0;
  return (promptTokens * price.inputPer1M + completionTokens * price.outputPer1M) / 1_000_000;
}
