// Molecular dynamics in A, fs, eV, amu, K.
export { ACCELERATION_UNIT, BOLTZMANN } from './units.js';
export { atomicMass, massesFor, MAX_TABULATED_Z } from './masses.js';
export { Random } from './random.js';
export type { RandomState } from './random.js';
export { createState, cloneState, systemOf } from './state.js';
export type { MDState, StateOptions } from './state.js';
export { kineticEnergyOf, degreesOfFreedom, temperatureOf, totalMomentum, zeroMomentum } from './kinetics.js';
export { wrapPositions } from './cell.js';
export { maxwellBoltzmann } from './velocities.js';
export type { MaxwellBoltzmannOptions } from './velocities.js';
export type { Integrator, IntegratorSpec } from './integrator.js';
export { VelocityVerlet } from './verlet.js';
export { Langevin } from './langevin.js';
export type { LangevinOptions } from './langevin.js';
export { StochasticVelocityRescaling } from './csvr.js';
export type { CsvrOptions } from './csvr.js';
export { createIntegrator, INTEGRATOR_TYPES } from './integrators.js';
export { runMD, runMDAsync } from './run.js';
export type { MDFrame, MDProgress, Observer, RunOptions } from './run.js';
export { thermoObserver, thermoRow, formatThermoRow, THERMO_HEADER } from './thermo.js';
export type { ThermoOptions, ThermoRow } from './thermo.js';
export { trajectoryObserver, trajectoryFrame, truncateTrajectoryAfter } from './trajectory.js';
export type { TrajectoryOptions } from './trajectory.js';
export {
  checkpointObserver,
  writeCheckpoint,
  readCheckpoint,
  serializeCheckpoint,
  deserializeCheckpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
} from './checkpoint.js';
export type { Checkpoint, CheckpointOptions } from './checkpoint.js';
export { RadialDistribution, rdfObserver } from './rdf.js';
export type { RdfOptions, RdfResult } from './rdf.js';
