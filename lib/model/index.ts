export { FeatureSet } from './feature-set.js';
export type { BlockSpec, FeatureSetSpec, Features } from './feature-set.js';
export { LinearModel } from './linear-model.js';
export type { LinearWeights } from './linear-model.js';
export { fitLinearModel, learnScales, datasetHash } from './training.js';
export type { TrainingFrame, FitOptions, FitProgress, FitReport, ErrorMetrics } from './training.js';
export { saveModel, loadModel, serializeModel, deserializeModel, MODEL_FORMAT_VERSION } from './serialize.js';
export type { ModelMetadata } from './serialize.js';
export { designRows, parameterCount } from './design.js';
