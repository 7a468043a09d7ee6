import type { Comparison } from '../../core/eval/compare.js';
import type { GateOutcome } from '../../core/gates/index.js';
import type { EvaluationReport } from '../services/evaluate.js';

/** Everything a renderer may show: the report, and optionally a comparison and gate results. */
export interface ReportInput {
  readonly report: EvaluationReport;
  /** The model `report` was compared with (A of the comparison), for overlays. */
  readonly baseline?: EvaluationReport;
  readonly comparison?: Comparison;
  readonly gates?: GateOutcome;
}
