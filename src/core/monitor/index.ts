export { DEFAULT_THRESHOLDS, Cooldown, evaluateAlerts, minSamplesFor, type Alert, type AlertKind, type Level, type Severity, type Thresholds } from './alerts.js';
export { centroidDistance, fitCentroids, type Centroids, type DistanceStats } from './centroids.js';
export { computeFigures, type FigureOptions, type Figures } from './figures.js';
export { CONFIDENCE_BINS, CONFIDENCE_EDGES, confidenceBin, confidenceHistogram, readConfidenceHistogram } from './histogram.js';
export { buildProfile, describeProfile, type ProfileInput, type ReferenceProfile } from './profile.js';
export { chiSquareSurvival, chiSquareTest, gammaQ, ksBinned, lnGamma, psi, quantile, type ChiSquareResult } from './stats.js';
export { Vocabulary, wordTokens } from './vocabulary.js';
export { SlidingWindow, Tally, type WindowOptions } from './window.js';
