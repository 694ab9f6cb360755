// Radial distribution function g(r) of a species pair, accumulated over
// frames, with periodic minimum images in any (triclinic) cell.
import { atomicNumber } from '../io/elements.js';
import { cellVolume, invert3, toNativeSystem, type System } from '../core/system.js';
import { faceDistances } from './cell.js';
import type { Observer } from './run.js';
import { systemOf } from './state.js';

export interface RdfOptions {
  /** The two species, as atomic numbers or symbols (['Na', 'Cl']). */
  pair: [number | string, number | string];
  /** Largest distance (A); at most half the smallest distance between opposite cell faces. */
  rMax: number;
  /** Number of bins. Default 200. */
  bins?: number;
}

export interface RdfResult {
  /** Bin centres (A). */
  r: Float64Array;
  g: Float64Array;
  /** Mean number of b atoms within r (bin upper edges) of an a atom. */
  coordination: Float64Array;
  frames: number;
}

function species(value: number | string, where: string): number {
  const z = typeof value === 'number' ? value : atomicNumber(value);
  if (z === undefined || !Number.isInteger(z) || z < 1) throw new Error(`${where}: expected an atomic number or a chemical symbol, got ${JSON.stringify(value)}`);
  return z;
}

/**
 * g_ab(r) = <n_ab(r)> / (shell volume * N_a N_b / V), where n_ab counts b
 * atoms in the shell around each a atom (self excluded when a = b, so the
 * pair density is N_a (N_a - 1) / V). An ideal gas gives g = 1 at every r.
 */
export class RadialDistribution {
  readonly a: number;
  readonly b: number;
  readonly rMax: number;
  readonly bins: number;
  private readonly counts: Float64Array;
  // Sum over frames of (pairs / V): the normalisation when the volume changes.
  private pairDensity = 0;
  private bDensity = 0;
  private aAtoms = 0;
  private frames = 0;

  constructor(options: RdfOptions) {
    if (!options || !Array.isArray(options.pair) || options.pair.length !== 2) throw new Error('RadialDistribution: pair: expected two species');
    this.a = species(options.pair[0], 'RadialDistribution: pair[0]');
    this.b = species(options.pair[1], 'RadialDistribution: pair[1]');
    if (!(options.rMax > 0) || !Number.isFinite(options.rMax)) throw new Error(`RadialDistribution: rMax: expected a positive distance (A), got ${String(options.rMax)}`);
    this.rMax = options.rMax;
    this.bins = options.bins ?? 200;
    if (!Number.isInteger(this.bins) || this.bins < 1) throw new Error(`RadialDistribution: bins: expected a positive integer, got ${String(options.bins)}`);
    this.counts = new Float64Array(this.bins);
  }

  /** Adds one frame (fully periodic). */
  accumulate(system: System): void {
    const s = toNativeSystem(system, 'RadialDistribution: system');
    if (!s.cell || !s.pbc.every((p) => p)) throw new Error('RadialDistribution: system: g(r) needs a cell periodic along all three axes');
    const widths = faceDistances(s.cell);
    const half = Math.min(...widths) / 2;
    if (this.rMax > half * (1 + 1e-12)) {
      throw new Error(`RadialDistribution: rMax ${this.rMax} A exceeds half the smallest cell width (${half.toFixed(4)} A); minimum images would be ambiguous`);
    }
    const cell = s.cell;
    const inv = invert3(cell);
    const r = s.positions;
    const aIdx: number[] = [], bIdx: number[] = [];
    s.types.forEach((t, i) => {
      if (t === this.a) aIdx.push(i);
      if (t === this.b) bIdx.push(i);
    });
    const V = cellVolume(cell);
    const same = this.a === this.b;
    this.pairDensity += (aIdx.length * (same ? aIdx.length - 1 : bIdx.length)) / V;
    this.bDensity += (same ? aIdx.length - 1 : bIdx.length) / V;
    this.aAtoms += aIdx.length;
    this.frames += 1;
    const width = this.rMax / this.bins;
    const r2max = this.rMax * this.rMax;
    const frac = [0, 0, 0];
    for (const i of aIdx) {
      for (const j of bIdx) {
        if (i === j) continue;
        const dx = r[3 * j] - r[3 * i], dy = r[3 * j + 1] - r[3 * i + 1], dz = r[3 * j + 2] - r[3 * i + 2];
        for (let k = 0; k < 3; k++) {
          const f = dx * inv[k] + dy * inv[3 + k] + dz * inv[6 + k];
          frac[k] = f - Math.round(f);
        }
        // With rMax <= half the smallest face distance, the image within rMax
        // (at most one exists) has every wrapped fractional component shifted
        // by -1, 0 or 1, so these 27 candidates find it in any triclinic cell.
        for (let n0 = -1; n0 <= 1; n0++) {
          for (let n1 = -1; n1 <= 1; n1++) {
            for (let n2 = -1; n2 <= 1; n2++) {
              const f0 = frac[0] + n0, f1 = frac[1] + n1, f2 = frac[2] + n2;
              const x = f0 * cell[0] + f1 * cell[3] + f2 * cell[6];
              const y = f0 * cell[1] + f1 * cell[4] + f2 * cell[7];
              const z = f0 * cell[2] + f1 * cell[5] + f2 * cell[8];
              const d2 = x * x + y * y + z * z;
              if (d2 < r2max) {
                const bin = Math.floor(Math.sqrt(d2) / width);
                if (bin < this.bins) this.counts[bin] += 1;
              }
            }
          }
        }
      }
    }
  }

  /** Frames accumulated so far. */
  get frameCount(): number {
    return this.frames;
  }

  result(): RdfResult {
    if (this.frames === 0) throw new Error('RadialDistribution: no frames accumulated');
    const width = this.rMax / this.bins;
    const r = new Float64Array(this.bins), g = new Float64Array(this.bins), coordination = new Float64Array(this.bins);
    let running = 0;
    for (let k = 0; k < this.bins; k++) {
      const lo = k * width, hi = (k + 1) * width;
      r[k] = (lo + hi) / 2;
      const shell = (4 / 3) * Math.PI * (hi ** 3 - lo ** 3);
      g[k] = this.pairDensity > 0 ? this.counts[k] / (shell * this.pairDensity) : 0;
      running += this.counts[k];
      coordination[k] = this.aAtoms > 0 ? running / this.aAtoms : 0;
    }
    return { r, g, coordination, frames: this.frames };
  }
}

/** Accumulates g(r) from a running simulation every `every` steps. */
export function rdfObserver(rdf: RadialDistribution, every = 10): Observer {
  return { every, observe: (frame) => rdf.accumulate(systemOf(frame.state)) };
}
