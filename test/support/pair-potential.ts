// A smooth analytic force field for MD tests: Lennard-Jones pairs times a
// quintic switch S(r) (S, S', S'' continuous at r_on and at the cutoff), so
// energy conservation measures the integrator, not cutoff discontinuities.
// Periodic via minimum images in any cell (cutoff <= half the smallest face
// distance), or free space without a cell.
import type { ForceField, ForceFieldRequest, ForceFieldResult } from '../../lib/core/forcefield.js';
import type { System } from '../../lib/core/system.js';
import { toNativeSystem } from '../../lib/core/system.js';

export interface LennardJonesParameters {
  /** Well depth (eV) per species. Pairs mix by Lorentz-Berthelot. */
  epsilon: Record<number, number>;
  /** Zero crossing (A) per species. */
  sigma: Record<number, number>;
  /** Outer cutoff (A). */
  cutoff: number;
  /** Where the switch starts (A). */
  switchStart: number;
}

export class LennardJones implements ForceField {
  calls = 0;
  constructor(readonly p: LennardJonesParameters) {}

  /** Pair energy and dE/dr at distance r. */
  pair(zi: number, zj: number, r: number): [number, number] {
    const { cutoff, switchStart } = this.p;
    if (r >= cutoff) return [0, 0];
    const eps = Math.sqrt(this.p.epsilon[zi] * this.p.epsilon[zj]);
    const sig = 0.5 * (this.p.sigma[zi] + this.p.sigma[zj]);
    const s6 = (sig / r) ** 6;
    const e = 4 * eps * (s6 * s6 - s6);
    const de = (4 * eps * (-12 * s6 * s6 + 6 * s6)) / r;
    if (r <= switchStart) return [e, de];
    const w = cutoff - switchStart;
    const x = (r - switchStart) / w;
    const S = 1 - x * x * x * (10 - 15 * x + 6 * x * x);
    const dS = (-30 * x * x * (1 - x) * (1 - x)) / w;
    return [e * S, de * S + e * dS];
  }

  compute(system: System, request: ForceFieldRequest = {}): ForceFieldResult {
    this.calls++;
    const s = toNativeSystem(system);
    const N = s.types.length;
    const r = s.positions;
    const forces = new Float64Array(3 * N);
    const energies = new Float64Array(N);
    const cell = s.cell;
    let inv: number[] | null = null;
    if (cell) {
      const [a, b, c, d, e, f, g, h, i] = Array.from(cell);
      const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
      const det = a * A + b * B + c * C;
      inv = [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
      const width = (k: number) => {
        const u = [cell[3 * ((k + 1) % 3)], cell[3 * ((k + 1) % 3) + 1], cell[3 * ((k + 1) % 3) + 2]];
        const v = [cell[3 * ((k + 2) % 3)], cell[3 * ((k + 2) % 3) + 1], cell[3 * ((k + 2) % 3) + 2]];
        return Math.abs(det) / Math.hypot(u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]);
      };
      const half = Math.min(width(0), width(1), width(2)) / 2;
      if (this.p.cutoff > half) throw new Error(`LennardJones: cutoff ${this.p.cutoff} exceeds half the cell width ${half}`);
    }
    const rc2 = this.p.cutoff ** 2;
    // In an orthorhombic cell the wrapped difference is the minimum image;
    // a skewed cell needs the 26 neighbouring images checked too.
    const skewed = cell !== null && [1, 2, 3, 5, 6, 7].some((k) => cell[k] !== 0);
    const reach = [0, 1, 2].map((k) => (skewed && s.pbc[k] ? 1 : 0));
    let energy = 0;
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        let dx = r[3 * j] - r[3 * i], dy = r[3 * j + 1] - r[3 * i + 1], dz = r[3 * j + 2] - r[3 * i + 2];
        const f = [dx, dy, dz];
        if (cell && inv) {
          for (let k = 0; k < 3; k++) {
            const v = dx * inv[k] + dy * inv[3 + k] + dz * inv[6 + k];
            f[k] = s.pbc[k] ? v - Math.round(v) : v;
          }
        }
        for (let n0 = -reach[0]; n0 <= reach[0]; n0++) {
          for (let n1 = -reach[1]; n1 <= reach[1]; n1++) {
            for (let n2 = -reach[2]; n2 <= reach[2]; n2++) {
              if (cell) {
                const g0 = f[0] + n0, g1 = f[1] + n1, g2 = f[2] + n2;
                dx = g0 * cell[0] + g1 * cell[3] + g2 * cell[6];
                dy = g0 * cell[1] + g1 * cell[4] + g2 * cell[7];
                dz = g0 * cell[2] + g1 * cell[5] + g2 * cell[8];
              }
              const d2 = dx * dx + dy * dy + dz * dz;
              if (d2 >= rc2) continue;
              const dist = Math.sqrt(d2);
              const [e, de] = this.pair(s.types[i], s.types[j], dist);
              energy += e;
              energies[i] += e / 2;
              energies[j] += e / 2;
              const c = de / dist;
              forces[3 * i] += c * dx; forces[3 * i + 1] += c * dy; forces[3 * i + 2] += c * dz;
              forces[3 * j] -= c * dx; forces[3 * j + 1] -= c * dy; forces[3 * j + 2] -= c * dz;
            }
          }
        }
      }
    }
    return { energy, forces, energies: request.perAtom ? energies : undefined };
  }
}

/** Argon-like parameters (eV, A). */
export const ARGON: LennardJonesParameters = {
  epsilon: { 18: 0.0104 },
  sigma: { 18: 3.4 },
  cutoff: 5.6,
  switchStart: 4.6,
};

/** fcc lattice of n^3 cubic cells (4 atoms each), lattice constant a (A), all of type z. */
export function fccLattice(n: number, a: number, z = 18): { positions: Float64Array; types: Int32Array; cell: Float64Array } {
  const basis = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];
  const positions: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) {
    for (const b of basis) positions.push((i + b[0]) * a, (j + b[1]) * a, (k + b[2]) * a);
  }
  return {
    positions: Float64Array.from(positions),
    types: new Int32Array(positions.length / 3).fill(z),
    cell: Float64Array.from([n * a, 0, 0, 0, n * a, 0, 0, 0, n * a]),
  };
}
