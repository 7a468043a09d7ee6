import { z } from 'zod';

export const BUNDLE_SCHEMA_VERSION = 1;

const fileRef = z.object({ file: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type FileRef = z.infer<typeof fileRef>;

const epoch = z.object({ epoch: z.number(), trainLoss: z.number(), valLoss: z.number().nullable(), valAccuracy: z.number().nullable() });

/** manifest.json of a model bundle. Everything a loader needs, and the record of how it was made. */
export const manifestSchema = z.object({
  schemaVersion: z.number().int(),
  kind: z.literal('intentops-model'),
  name: z.string(),
  createdAt: z.string(),
  seed: z.number().int(),
  dataHash: z.string(),
  labels: z.array(z.string()).min(2),
  outOfScopeLabels: z.array(z.string()),
  embedder: z.object({
    name: z.string(),
    config: z.record(z.string(), z.unknown()),
    arrays: z.record(z.string(), fileRef.extend({ length: z.number().int().nonnegative() })),
  }),
  classifier: z.object({
    dim: z.number().int().positive(),
    classes: z.number().int().positive(),
    temperature: z.number().positive(),
    fusion: z.object({ k: z.number().int().nonnegative(), alpha: z.number().min(0).max(1), tau: z.number().positive() }),
    weights: fileRef,
  }),
  routing: z.object({
    policy: z.object({ minConfidence: z.number(), minMargin: z.number(), requireKnnAgreement: z.boolean() }),
    coverage: z.number(),
    precision: z.number(),
    /** Lower confidence bound of the accepted precision (absent in bundles made before bounds). */
    precisionBound: z.number().optional(),
    delta: z.number().optional(),
    targetPrecision: z.number(),
    reachedTarget: z.boolean(),
    samples: z.number().int(),
  }),
  /** Out-of-scope detection (src/core/novelty); absent in bundles made before it: nothing is flagged then. */
  novelty: z
    .object({
      features: z.array(z.enum(['confidence', 'neighbour'])),
      mean: z.array(z.number()),
      scale: z.array(z.number()),
      weights: z.array(z.number()),
      bias: z.number(),
      edges: z.array(z.number()),
      knownCorrect: z.array(z.number()),
      knownWrong: z.array(z.number()),
      knownPassCorrect: z.array(z.number()),
      knownPassWrong: z.array(z.number()),
      unknown: z.array(z.number()),
      unknownPass: z.array(z.number()),
      table: z.array(z.object({ share: z.number(), open: z.number(), accept: z.number() })),
      defaultShare: z.number(),
      auroc: z.number(),
      candidates: z.array(z.object({ features: z.string(), auroc: z.number() })).optional(),
      samples: z.object({ known: z.number().int(), unknown: z.number().int() }),
    })
    .optional(),
  index: z.object({ kind: z.string(), dim: z.number().int().positive(), size: z.number().int().nonnegative(), file: fileRef }),
  examples: fileRef,
  metrics: z.record(z.string(), z.number().nullable()),
  training: z.object({
    options: z.record(z.string(), z.unknown()),
    bestEpoch: z.number().int(),
    history: z.array(epoch),
    durationMs: z.number(),
    trainExamples: z.number().int(),
    valExamples: z.number().int(),
    valSource: z.enum(['split', 'file', 'cv']),
  }),
  data: z.record(z.string(), z.unknown()),
  /** Reference figures for the drift monitors (src/core/monitor), from held-out predictions; absent in older bundles. */
  monitor: z.object({ confidence: z.object({ edges: z.array(z.number()), counts: z.array(z.number().int().nonnegative()) }) }).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
