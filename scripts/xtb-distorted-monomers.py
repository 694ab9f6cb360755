"""Distorted monomers of the molecules of data/xtb-dimers.xyz, with GFN2-xTB.

The dimer curves keep every molecule rigid, so nothing in them says how a
molecule's energy, forces and partial charges change when its own atoms
move: a model fitted to them extrapolates those derivatives, and the forces
that a distant ion's field puts on a molecule follow how its charges move
with its atoms. This script takes each molecule at its geometry in the
dimer file, displaces every atom at random (Gaussian, `--sigma` A per
Cartesian component, seeded) `--count` times, and runs Debian's xtb (6.5.1,
GFN2, the settings of the dimer file) on each: total energy, forces and
partial charges, dipole moment (e A, about the coordinate origin, as the
dimer file's) and atomic dipoles (e A; GFN2's dipole is sum_i q_i r_i +
sum_i p_i), one extended-XYZ frame per distortion with `molecule`
(its name) and `charge` (its net charge). The undistorted geometry is the
first frame of each molecule; its energy must equal the dimer file's
`energyA` / `energyB` (checked).

Why 96 distortions of 0.05 A (about the thermal amplitude of a bond
vibration): what the learned charges and atomic dipoles must take from these
frames is how they change with the atoms (their fluxes), and 0.01 A changed
the charges by ~0.003 e, below the charge fit's own error, so the fit could
not read the fluxes off them (README, "Distorted monomers").

usage: python3 scripts/xtb-distorted-monomers.py [--dimers data/xtb-dimers.xyz]
       [--out data/xtb-monomers.xyz] [--count 96] [--sigma 0.05] [--seed 7] [--workers 2]
(needs `apt-get install xtb python3-numpy`; seconds on two cores)
"""
import argparse
import importlib.util
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

# The dimer file's reader and the xtb run (same folder; its name has dashes).
_spec = importlib.util.spec_from_file_location('monomer_forces', os.path.join(os.path.dirname(__file__), 'xtb-monomer-forces.py'))
_forces = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_forces)


def xtb_all(job):
    """Energy (eV), forces (eV/A), partial charges (e), dipole and atomic dipoles (e A) of one molecule."""
    return _forces.xtb_gradient(*job)


def molecules(path):
    """Each molecule of the dimer file once: name -> (symbols, positions, charge, energy alone)."""
    found = {}
    for frame in _forces.read_frames(path):
        info = _forces.info(frame['comment'])
        symbols, pos = _forces.geometry(frame)
        nA = int(info['atomsA'])
        a, b = info['pair'].split('+')
        for name, part, charge, energy in ((a, slice(0, nA), info['chargeA'], info['energyA']),
                                           (b, slice(nA, None), info['chargeB'], info['energyB'])):
            if name not in found:
                found[name] = (symbols[part], pos[part] - pos[part].mean(axis=0), int(charge), float(energy))
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--dimers', default='data/xtb-dimers.xyz')
    parser.add_argument('--out', default='data/xtb-monomers.xyz')
    parser.add_argument('--count', type=int, default=96)
    parser.add_argument('--sigma', type=float, default=0.05)
    parser.add_argument('--seed', type=int, default=7)
    parser.add_argument('--workers', type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    mols = molecules(args.dimers)
    jobs, labels = [], []
    for name in sorted(mols):
        symbols, pos, charge, _ = mols[name]
        for k in range(args.count + 1):
            shift = np.zeros_like(pos) if k == 0 else rng.normal(0.0, args.sigma, pos.shape)
            jobs.append((symbols, pos + shift, charge))
            labels.append((name, k))
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(xtb_all, jobs))
    worst = 0.0
    with open(args.out, 'w') as f:
        for (name, k), (symbols, pos, charge), (energy, forces, charges, dipole, atomic) in zip(labels, jobs, results):
            if k == 0:
                worst = max(worst, abs(energy - mols[name][3]))
            f.write(f'{len(symbols)}\n')
            f.write(f'Properties=species:S:1:pos:R:3:forces:R:3:charges:R:1:atomic_dipoles:R:3 energy={energy:.10f} charge={charge} '
                    f'molecule={name} distortion={k} sigma={0.0 if k == 0 else args.sigma} '
                    f'dipole="{dipole[0]:.8f} {dipole[1]:.8f} {dipole[2]:.8f}" pbc="F F F"\n')
            for s, p, fo, q, d in zip(symbols, pos, forces, charges, atomic):
                f.write(f'{s} {p[0]:.10f} {p[1]:.10f} {p[2]:.10f} {fo[0]:.10f} {fo[1]:.10f} {fo[2]:.10f} {q:.8f} '
                        f'{d[0]:.8f} {d[1]:.8f} {d[2]:.8f}\n')
    if worst > 1e-5:
        sys.exit(f'xtb gives undistorted monomer energies up to {worst:.2e} eV from the dimer file: not its settings')
    print(f'{len(mols)} molecules x {args.count + 1} geometries -> {args.out}; undistorted energies within {worst:.1e} eV '
          f'of the dimer file')


if __name__ == '__main__':
    main()
