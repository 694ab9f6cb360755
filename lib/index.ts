export { SphericalExpansion } from './spherical-expansion.js';
export { LodeSphericalExpansion } from './lode-expansion.js';
export type {
  SphericalExpansionHypers,
  CutoffHypers,
  GaussianDensity,
  GtoRadialBasis,
  TensorProductBasis,
  LodeSphericalExpansionHypers,
  SmearedPowerLawDensity,
} from './hypers.js';
export type { System } from './system.js';
export type { ComputeOptions } from './request.js';
export type { FeatureBlock, Gradient, GradientKind, Labels } from './labels.js';
export { findLabel } from './labels.js';
export { setNumThreads, getNumThreads } from './threads.js';
export { Invariants, SoapPowerSpectrum } from './invariants.js';
export type { InvariantOptions, ExpansionLike } from './invariants.js';
export type { Backward } from './backward.js';
export type { ForceField, ForceFieldRequest, ForceFieldResult } from './forcefield.js';
export * from './model/index.js';
export * from './md/index.js';
export { serveForceField, MessageDecoder as IpiMessageDecoder, encodeMessage as encodeIpiMessage, IpiProtocolError, CODATA2014 } from './ipi/index.js';
export type { ServeOptions as IpiServeOptions, ServeSummary as IpiServeSummary, StepInfo as IpiStepInfo, Message as IpiMessage } from './ipi/index.js';
export { Ewald, COULOMB_CONSTANT, type EwaldOptions, type EwaldParameters, type PerAtomValues } from './ewald.js';
