import { IntentOpsError } from '../../core/errors.js';
import type { Broker } from '../../ports/broker.js';
import { pickByScheme } from '../uri.js';
import type { BrokerOptions } from './options.js';

/*
 * Message brokers by URI scheme, as the stores are chosen. Each entry imports its client only
 * when chosen. kafka:// and azure-servicebus:// are listed so that a URI naming them fails with
 * what is missing, and so the table shows where such an adapter plugs in: a file beside nats.ts
 * implementing Broker (src/ports/broker.ts) and passing test/contract/broker.contract.ts.
 */

export type { BrokerOptions };

export const BROKER_DEFAULTS = Object.freeze({
  uri: 'nats://127.0.0.1:4222',
  stream: 'INTENTOPS',
  in: 'intentops.in',
  out: 'intentops.out',
  dlq: 'intentops.dlq',
  consumer: 'intentops-worker',
  maxInFlight: 256,
  ackWaitMs: 30_000,
  duplicateWindowMs: 300_000,
} satisfies Required<BrokerOptions> & { uri: string });

interface BrokerBackend {
  readonly description: string;
  open(uri: string, options: Required<BrokerOptions>): Promise<Broker>;
}

/** A scheme we know of but do not ship: fails naming what to install and write. */
function notBuiltIn(product: string, scheme: string, client: string, mapping: string): BrokerBackend {
  return {
    description: `${product}: not built in (needs ${client} and an adapter)`,
    open: async () => {
      throw new IntentOpsError('invalid_config', `${scheme}:// brokers are not built into IntentOps`, {
        where: 'broker.uri',
        hint: `use nats://HOST:4222 (NATS JetStream); to add ${product}: \`npm install ${client}\`, write src/adapters/broker/${scheme}.ts implementing Broker (src/ports/broker.ts: ${mapping}), make it pass test/contract/broker.contract.ts and point the "${scheme}" entry of src/adapters/broker/index.ts at it`,
      });
    },
  };
}

export const brokers = Object.freeze({
  nats: {
    description: 'NATS JetStream: input stream + shared durable pull consumer, results/dead letters de-duplicated by message id',
    open: async (uri, o) => (await import('./nats.js')).openNatsBroker(uri, o),
  },
  kafka: notBuiltIn('Apache Kafka', 'kafka', 'kafkajs', 'a consumer group as the shared consumer, commit offsets on ack, an idempotent producer keyed by msgId'),
  'azure-servicebus': notBuiltIn('Azure Service Bus', 'azure-servicebus', '@azure/service-bus', 'a queue receiver in peek-lock mode (ack = complete, nak = abandon, term = dead-letter), duplicate detection on the output queue keyed by msgId'),
} satisfies Record<string, BrokerBackend>);

/** The URI forms accepted by openBroker, as listed in errors. */
export const BROKER_URIS = Object.freeze(['nats://HOST:PORT[,nats://HOST2:PORT…]', 'nats://USER:PASSWORD@HOST:PORT', 'nats://TOKEN@HOST:PORT']);

/**
 * Connects to the broker named by `uri` and makes sure its streams and shared consumer exist.
 * An unknown scheme fails with 'invalid_config' listing the accepted forms.
 *
 * @example
 * const broker = await openBroker('nats://127.0.0.1:4222', { stream: 'TICKETS', in: 'tickets.in' });
 * for (const m of await broker.receive(64, { waitMs: 1000 })) {
 *   await broker.publish('out', m.data, { msgId: m.ref });
 *   m.ack();
 * }
 * await broker.close();
 */
export async function openBroker(uri: string, options: BrokerOptions = {}): Promise<Broker> {
  const { entry } = pickByScheme(brokers, uri, 'broker', BROKER_URIS);
  const o = { ...BROKER_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  return entry.open(uri, o);
}
