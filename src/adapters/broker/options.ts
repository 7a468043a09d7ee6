/** How a worker's broker connection is set up (see BROKER_DEFAULTS in ./index.ts). */
export interface BrokerOptions {
  /** The input stream (created when missing, capturing `in`). Results go to `<stream>_OUT` unless a stream already captures `out`. */
  readonly stream?: string;
  readonly in?: string;
  readonly out?: string;
  readonly dlq?: string;
  /** The durable consumer every worker shares. */
  readonly consumer?: string;
  /** Messages received but not yet settled, per connection. */
  readonly maxInFlight?: number;
  /** A message not settled (and not kept alive) this long is redelivered to another worker. */
  readonly ackWaitMs?: number;
  /** How long the results stream remembers a message id (publishing it again is dropped). */
  readonly duplicateWindowMs?: number;
}
