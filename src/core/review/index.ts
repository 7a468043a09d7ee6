export { groupKey } from './group.js';
export { AGE_DOUBLING_HOURS, AGE_RATE, AUDIT_DOUBT, DEFAULT_WEIGHT, MIN_DOUBT, REASON_WEIGHTS, RECENT_HALF_LIFE_HOURS, RECENT_RATE, addMessage, doubtOf, hoursOf, logAddExp, messageLog, priorityOf, rankKey, staticRank, weightOf, type PriorityItem, type ScoredItem, type ReviewPriority } from './priority.js';
