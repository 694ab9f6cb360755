// Integrators from their serialisable description (checkpoints, the CLI).
import { StochasticVelocityRescaling } from './csvr.js';
import type { Integrator, IntegratorSpec } from './integrator.js';
import { Langevin } from './langevin.js';
import { VelocityVerlet } from './verlet.js';

export const INTEGRATOR_TYPES = ['verlet', 'langevin', 'csvr'] as const;

export function createIntegrator(spec: IntegratorSpec): Integrator {
  switch (spec?.type) {
    case 'verlet':
      return new VelocityVerlet(spec);
    case 'langevin':
      return new Langevin(spec);
    case 'csvr':
      return new StochasticVelocityRescaling(spec);
    default:
      throw new Error(
        `integrator: unknown type ${JSON.stringify((spec as { type?: unknown })?.type)}; expected one of ${INTEGRATOR_TYPES.join(', ')}`,
      );
  }
}
