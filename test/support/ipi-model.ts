// A small SOAP model of molten NaCl for the i-PI end-to-end tests: fitted in
// ~0.3 s on 10 frames of data/nacl-melt-64.xyz.
import { join } from 'node:path';
import { fitLinearModel, presetFeatures, type LinearModel } from '../../lib/index.js';
import { readExtxyz } from '../../lib/io/extxyz.js';

export const NACL_XYZ = join(import.meta.dirname, '../../data/nacl-melt-64.xyz');

export function fitNaclModel(): LinearModel {
  const frames = readExtxyz(NACL_XYZ).filter((_, k) => k % 30 === 5);
  const train = frames.map((f) => ({
    system: { positions: f.positions, types: f.types, cell: f.cell, pbc: f.pbc },
    energy: f.info.energy as number,
    forces: f.arrays.forces as Float64Array,
  }));
  return fitLinearModel(presetFeatures('local', [11, 17], { cutoff: 4.5, maxRadial: 3, maxAngular: 3 }), train, { forceWeight: 1 }).model;
}
