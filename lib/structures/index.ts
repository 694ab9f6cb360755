// Structures in and out: extended XYZ in ASE's dialect.
export { readExtxyz, iterateExtxyz, parseExtxyz, formatExtxyz, writeExtxyz } from './extxyz.js';
export type { WriteExtxyzOptions } from './extxyz.js';
export type { ExtxyzFrame, ExtxyzFrameInput, FrameArrays } from './frame.js';
export { ASE_VELOCITY_UNIT } from './ase-conventions.js';
