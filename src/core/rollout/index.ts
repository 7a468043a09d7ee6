export { chooseArm, stickyPoint, type Arm } from './assign.js';
export { abDecision, DEFAULT_AB_RULE, type AbResult, type AbRule, type ArmOutcomes, type ArmSummary, type PairedOutcomes, type Recommendation } from './recommend.js';
export { fisherExact, normalCdf, normalQuantile, requiredPerArm, twoProportionZ, wilsonInterval } from './significance.js';
export { checkRolloutSetting, DEFAULT_SHARE, isRolloutMode, needsChallenger, ROLLOUT_MODES, SPLIT_MODES, type RolloutMode, type RolloutSetting } from './state.js';
export { RolloutStats, type RolloutFigures, type ScoredResult, type ShadowFigures, type StatsVariant, type VariantFigures } from './stats.js';
export { tallyOutcomes, type FeedbackOutcome, type OutcomeTally, type ReviewOutcome } from './outcomes.js';
