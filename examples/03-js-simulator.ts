// A JS simulator driving a lodestone potential through the ForceField
// contract only: positions (A) in; energy (eV), forces (eV/A) and stress
// (eV/A^3) out. Any object with compute(system, request) can replace the model.
//   npx tsx examples/03-js-simulator.ts
import type { ForceField, System } from '../lib/index.js';
import { defaultModel } from './support/default-model.js';
import { rockSalt } from './support/structures.js';

const AMU_A2_PER_FS2_IN_EV = 103.642696; // 1 amu A^2/fs^2 in eV
const MASS: Record<number, number> = { 11: 22.98976928, 17: 35.453 };

/** The whole simulator: velocity Verlet with the contract's units. */
function simulate(forceField: ForceField, system: System & { positions: Float64Array }, steps: number, dt: number): void {
  const N = system.types.length;
  const v = new Float64Array(3 * N);
  const inverseMass = Float64Array.from(system.types, (z) => 1 / (MASS[z] * AMU_A2_PER_FS2_IN_EV)); // (A/fs^2) per (eV/A)
  let { energy, forces } = forceField.compute(system, { forces: true });
  for (let step = 1; step <= steps; step++) {
    for (let k = 0; k < 3 * N; k++) {
      v[k] += 0.5 * dt * forces![k] * inverseMass[Math.floor(k / 3)];
      system.positions[k] += dt * v[k];
    }
    ({ energy, forces } = forceField.compute(system, { forces: true }));
    let kinetic = 0;
    for (let k = 0; k < 3 * N; k++) {
      v[k] += 0.5 * dt * forces![k] * inverseMass[Math.floor(k / 3)];
      kinetic += (0.5 * v[k] * v[k]) / inverseMass[Math.floor(k / 3)];
    }
    if (step % 20 === 0) console.log(`step ${step}  E_pot ${energy.toFixed(5)} eV  E_tot ${(energy + kinetic).toFixed(5)} eV`);
  }
  const { stress } = forceField.compute(system, { stress: true });
  console.log(`final stress (eV/A^3): ${Array.from(stress!.filter((_, k) => k % 4 === 0), (s) => s.toExponential(3)).join(' ')} (diagonal)`);
}

const { model } = defaultModel('local');
const start = rockSalt(5.9, 2); // 64 ions, slightly expanded rock salt
const positions = Float64Array.from(start.positions as number[]);
for (let k = 0; k < positions.length; k++) positions[k] += 0.05 * Math.sin(7.1 * k); // break the symmetry
simulate(model, { ...start, positions }, 100, 2);
