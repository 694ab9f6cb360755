export { SphericalExpansion } from './features/spherical-expansion.js';
export { LodeSphericalExpansion } from './features/lode-expansion.js';
export type {
  SphericalExpansionHypers,
  CutoffHypers,
  GaussianDensity,
  GtoRadialBasis,
  TensorProductBasis,
  LodeSphericalExpansionHypers,
  SmearedPowerLawDensity,
} from './core/hypers.js';
export type { System } from './core/system.js';
export * from './structures/index.js';
export type { ComputeOptions } from './core/request.js';
export type { BackwardGradient } from './core/backward.js';
export type { BackwardOptions } from './features/calculator.js';
export type { EquivariantBlock, FeatureBlock, Gradient, GradientKind, Labels } from './core/labels.js';
export { findLabel } from './core/labels.js';
export { setNumThreads, getNumThreads } from './core/threads.js';
export { releaseCachedMemory } from './core/memory.js';
export { Invariants, SoapPowerSpectrum } from './features/invariants.js';
export type { InvariantOptions, ExpansionLike } from './features/invariants.js';
export { EquivariantInvariants } from './features/equivariant.js';
export type { EquivariantOptions } from './features/equivariant.js';
export type { Backward } from './core/backward.js';
export type { ForceField, ForceFieldRequest, ForceFieldResult } from './core/forcefield.js';
export * from './model/index.js';
export * from './md/index.js';
export { serveForceField, MessageDecoder as IpiMessageDecoder, encodeMessage as encodeIpiMessage, IpiProtocolError, CODATA2014 } from './ipi/index.js';
export type { ServeOptions as IpiServeOptions, ServeSummary as IpiServeSummary, StepInfo as IpiStepInfo, Message as IpiMessage } from './ipi/index.js';
export { Ewald, COULOMB_CONSTANT, type EwaldOptions, type EwaldParameters, type PerAtomValues } from './longrange/ewald.js';
export { smearedCoulomb, erf, type SmearedCoulombResult } from './longrange/smeared-coulomb.js';
