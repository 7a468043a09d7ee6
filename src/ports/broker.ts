/**
 * One message taken from the input stream. It stays the caller's until it is settled exactly once
 * with ack (done), nak (try again later, on this or another worker) or term (never again: it was
 * dead-lettered). An unsettled message comes back after the broker's ack wait, so a worker that
 * dies loses nothing.
 */
export interface Delivery {
  /** The payload as published. */
  readonly data: Uint8Array;
  /** The broker's own id for this input message (e.g. `STREAM:42`): stable across redeliveries. */
  readonly ref: string;
  /** 1 on the first delivery, 2 on the first redelivery, … */
  readonly attempt: number;
  ack(): void;
  /** Redeliver after `delayMs` (0 = at once, to any worker). */
  nak(delayMs?: number): void;
  /** Never redeliver (after the message was dead-lettered). */
  term(reason?: string): void;
}

/** Where `publish` writes: the results, or the dead-letter queue for messages that cannot be classified. */
export type Channel = 'out' | 'dlq';

export interface PublishOptions {
  /**
   * The de-duplication id: a second publish with the same id (within the broker's duplicate
   * window) is dropped by the broker, so a redelivered message never yields a second result.
   */
  readonly msgId: string;
  /** String headers carried with the message (error code and reason on dead letters). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A work queue shared by several workers: pull input messages (at most the broker's in-flight
 * limit unsettled at a time), publish results idempotently, then close. Adapters: NATS JetStream
 * (`nats://`); kafka:// and azure-servicebus:// are listed in the table but not built in.
 */
export interface Broker {
  /**
   * Up to `max` input messages, as soon as at least one is there; `[]` after `waitMs` without any,
   * or once `signal` aborts. Throws 'unavailable' when the input can no longer be read.
   */
  receive(max: number, o?: { readonly waitMs?: number; readonly signal?: AbortSignal }): Promise<Delivery[]>;
  /** Resolves once the broker stored the message; `duplicate` when it had already seen `msgId`. */
  publish(to: Channel, data: Uint8Array, o: PublishOptions): Promise<{ duplicate: boolean }>;
  /**
   * Stops asking for messages (a worker being stopped); `receive` keeps returning what was
   * already received or is still arriving for requests made before. Resolves once nothing more can
   * arrive, so the caller can finish and settle everything it holds and hand nothing back.
   * Optional: without it, close() hands back what was not taken.
   */
  stop?(): Promise<void>;
  /**
   * Stops pulling, hands back (nak) messages received but never returned by `receive`, flushes
   * outstanding acks and closes the connection. Settle what `receive` returned before calling it.
   */
  close(): Promise<void>;
}
