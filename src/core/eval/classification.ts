import { IntentOpsError } from '../errors.js';
import { integerAtLeast, labelIds, sameNonEmptyLength } from './validate.js';

export interface LabelMetrics {
  readonly label: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Number of examples whose true label is this one. */
  readonly support: number;
}

export interface ClassificationReport {
  readonly accuracy: number;
  readonly macroPrecision: number;
  readonly macroRecall: number;
  readonly macroF1: number;
  /** Mean of per-label F1 weighted by support. */
  readonly weightedF1: number;
  /** One row per entry of `labels`, in that order (absent labels included, all zeros). */
  readonly perLabel: LabelMetrics[];
  /** `confusion[t][p]` = examples with true id `t` predicted as `p`; K x K over all `labels`. */
  readonly confusion: number[][];
}

export interface Confusion {
  readonly trueLabel: string;
  readonly predicted: string;
  readonly count: number;
}

/** Counts `confusion[true][predicted]` over `k` labels. Inputs must already be validated. */
function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]] += 1;
  return m;
}

/** `num / den`, or 0 when `den` is 0 (scikit-learn's `zero_division=0`). */
function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

/**
 * Accuracy, per-label and averaged precision / recall / F1, and the confusion matrix, with
 * scikit-learn's definitions and `zero_division=0` (a label never predicted has precision 0,
 * a label never true has recall 0, and F1 = 0 whenever precision + recall = 0).
 *
 * Macro averages are taken over the labels that occur in `yTrue` or `yPred` — scikit-learn's
 * default when its `labels` argument is omitted (the union of observed labels). A label listed
 * in `labels` that occurs in neither array is still reported in `perLabel` and `confusion` (all
 * zeros) but does not drag the macro averages down: a test set without an intent says nothing
 * about how the model handles it. `macroF1` is the mean of per-label F1 (not the F1 of the macro
 * precision and recall), and `weightedF1` weights by support, exactly as scikit-learn does.
 *
 * @example
 * classificationReport([0, 1, 1], [0, 1, 0], ['billing', 'cancel']).accuracy // 2/3
 */
export function classificationReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labels: readonly string[]): ClassificationReport {
  const fn = 'classificationReport';
  const n = sameNonEmptyLength(fn, yTrue, yPred, ['yTrue', 'yPred']);
  const k = labels.length;
  integerAtLeast(fn, 'labels.length', k, 1);
  labelIds(fn, 'yTrue', yTrue, k);
  labelIds(fn, 'yPred', yPred, k);

  const confusion = confusionMatrix(yTrue, yPred, k);
  const perLabel: LabelMetrics[] = [];
  let correct = 0;
  let observed = 0;
  let sumP = 0;
  let sumR = 0;
  let sumF = 0;
  let weightedF = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += confusion[c][j];
      predicted += confusion[j][c];
    }
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    // 2tp / (2tp + fp + fn) equals the harmonic mean of precision and recall, without the
    // rounding of two divisions, and is 0 exactly when scikit-learn's zero_division gives 0.
    const f1 = ratio(2 * tp, support + predicted);
    perLabel.push({ label: labels[c], precision, recall, f1, support });
    correct += tp;
    weightedF += f1 * support;
    if (support + predicted > 0) {
      observed += 1;
      sumP += precision;
      sumR += recall;
      sumF += f1;
    }
  }
  return {
    accuracy: correct / n,
    macroPrecision: sumP / observed,
    macroRecall: sumR / observed,
    macroF1: sumF / observed,
    weightedF1: weightedF / n,
    perLabel,
    confusion,
  };
}

/**
 * The `n` largest off-diagonal cells of a confusion matrix (rows = true, cols = predicted), most
 * frequent first; zero cells are skipped and ties keep row-major order (true id, then predicted
 * id) so the result is deterministic.
 *
 * @example
 * topConfusions([[5, 2], [1, 4]], ['a', 'b'], 1) // [{ trueLabel: 'a', predicted: 'b', count: 2 }]
 */
export function topConfusions(confusion: readonly (readonly number[])[], labels: readonly string[], n: number): Confusion[] {
  const fn = 'topConfusions';
  integerAtLeast(fn, 'n', n, 0);
  const k = labels.length;
  if (confusion.length !== k || confusion.some((row) => row.length !== k)) {
    throw new IntentOpsError('invalid_input', `confusion must be ${k} x ${k} to match labels`, {
      where: `${fn}(confusion)`,
      hint: 'pass the matrix and the label names from the same classificationReport',
    });
  }
  const cells: Confusion[] = [];
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      const count = confusion[t][p];
      if (t !== p && count > 0) cells.push({ trueLabel: labels[t], predicted: labels[p], count });
    }
  }
  // Array.prototype.sort is stable, so equal counts stay in row-major order.
  return cells.sort((a, b) => b.count - a.count).slice(0, n);
}
