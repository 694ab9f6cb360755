// Molecular dynamics in A, fs, eV, amu, K.
export { ACCELERATION_UNIT, BOLTZMANN } from '../io/units.js';
export { atomicMass, massesFor, MAX_TABULATED_Z } from '../io/masses.js';
export { Random } from './random.js';
export type { RandomState } from './random.js';
export { createState } from './create-state.js';
export { cloneState, systemOf } from './state.js';
export type { MDState } from './state.js';
export type { StateOptions } from './create-state.js';
export { kineticEnergyOf, degreesOfFreedom, instantaneousTemperature, temperatureOf, totalMomentum, zeroMomentum } from './kinetics.js';
export { wrapPositions } from './cell.js';
export { maxwellBoltzmann } from './velocities.js';
export type { MaxwellBoltzmannOptions } from './velocities.js';
export type { Integrator, IntegratorSpec } from './integrators/integrator.js';
export { VelocityVerlet } from './integrators/verlet.js';
export { Langevin } from './integrators/langevin.js';
export type { LangevinOptions } from './integrators/langevin.js';
export { StochasticVelocityRescaling } from './integrators/csvr.js';
export type { CsvrOptions } from './integrators/csvr.js';
export { createIntegrator, INTEGRATOR_TYPES } from './integrators/factory.js';
export { runMD, runMDAsync } from './run.js';
export { MDDivergenceError } from './watchdog.js';
export type { WatchdogOptions } from './watchdog.js';
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
