"""Adds the forces of the isolated monomers to data/xtb-dimers.xyz.

Every frame of the file gives the energies of its two molecules alone
(`energyA`, `energyB`). The molecules are rigid copies of GFN2-xTB-optimised
geometries, so their forces alone are small but not zero (the optimiser
stops at a threshold); a model trained on the isolated monomers as the
R -> infinity limit of each binding curve needs them as much as the
energies. This script runs Debian's xtb
(6.5.1, GFN2, the settings of the data) on each molecule of each curve at
its geometry in that curve, checks that the energy it gets is the frame's
`energyA` / `energyB`, and writes a per-atom column `monomer_forces` (eV/A:
the forces on each atom in its molecule alone).

usage: python3 scripts/xtb-monomer-forces.py [data/xtb-dimers.xyz] [--workers 2]
(needs `apt-get install xtb python3-numpy`; seconds on two cores)
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np

HARTREE = 27.211386245988  # eV
BOHR = 0.529177210903  # A


def read_frames(path):
    lines = open(path).read().split('\n')
    frames, k = [], 0
    while k < len(lines) and lines[k].strip():
        n = int(lines[k])
        frames.append({'comment': lines[k + 1], 'atoms': lines[k + 2:k + 2 + n]})
        k += 2 + n
    return frames


def write_frames(path, frames):
    with open(path, 'w') as f:
        for frame in frames:
            f.write(f"{len(frame['atoms'])}\n{frame['comment']}\n" + '\n'.join(frame['atoms']) + '\n')


def info(comment):
    out = {}
    for token in shlex.split(comment):
        key, _, value = token.partition('=')
        out[key] = value
    return out


def geometry(frame):
    rows = [a.split() for a in frame['atoms']]
    return [r[0] for r in rows], np.array([[float(x) for x in r[1:4]] for r in rows])


def xtb_gradient(symbols, pos, charge, extra=()):
    """GFN2-xTB on one molecule or complex: energy (eV), forces (eV/A), partial charges (e), dipole (e A, about
    the origin) and atomic dipoles (e A, one per atom: GFN2's dipole is sum_i q_i r_i + sum_i p_i)."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, 'in.xyz'), 'w') as f:
            f.write(f'{len(symbols)}\n\n' + ''.join(f'{s} {p[0]:.10f} {p[1]:.10f} {p[2]:.10f}\n' for s, p in zip(symbols, pos)))
        env = dict(os.environ, OMP_NUM_THREADS='1', OMP_STACKSIZE='500M')
        subprocess.run(['xtb', 'in.xyz', '--gfn', '2', '--chrg', str(charge), '--grad', '--json', '--norestart', *extra], cwd=d,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        # in.engrad: comment lines (#) and one number per line (atom count, energy in Eh,
        # the 3n gradient components in Eh/bohr), then the coordinates, several per line
        values = [float(x) for x in open(os.path.join(d, 'in.engrad')).read().split('\n')
                  if x.strip() and not x.lstrip().startswith('#') and len(x.split()) == 1]
        out = json.load(open(os.path.join(d, 'xtbout.json')))  # the energy to more digits than in.engrad
    n = len(symbols)
    forces = -np.array(values[2:2 + 3 * n]).reshape(n, 3) * HARTREE / BOHR
    return (out['total energy'] * HARTREE, forces, np.array(out['partial charges']), np.array(out['dipole']) * BOHR,
            np.array(out['atomic dipole moments']) * BOHR)


def xtb_forces(job):
    energy, forces = xtb_gradient(*job)[:2]
    return energy, forces


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('path', nargs='?', default='data/xtb-dimers.xyz')
    parser.add_argument('--workers', type=int, default=2)
    args = parser.parse_args()
    frames = read_frames(args.path)
    curves = {}
    for k, frame in enumerate(frames):
        i = info(frame['comment'])
        curves.setdefault((i['pair'], i['orientation']), []).append(k)
    jobs, keys = [], []
    for key, members in curves.items():
        first = frames[members[0]]
        i = info(first['comment'])
        symbols, pos = geometry(first)
        nA = int(i['atomsA'])
        # rigid molecules: every frame of the curve has them at the same relative geometry
        for k in members[1:]:
            other = geometry(frames[k])[1]
            for part in (slice(0, nA), slice(nA, None)):
                shape = lambda p: p[part] - p[part].mean(axis=0)
                if np.abs(shape(other) - shape(pos)).max() > 1e-6:
                    sys.exit(f'{key}: molecule geometry changes along the curve (frame {k})')
        jobs.append((symbols[:nA], pos[:nA], int(i['chargeA'])))
        jobs.append((symbols[nA:], pos[nA:], int(i['chargeB'])))
        keys.append(key)
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(xtb_forces, jobs))
    worst_energy, largest = 0.0, 0.0
    for c, key in enumerate(keys):
        (eA, fA), (eB, fB) = results[2 * c], results[2 * c + 1]
        forces = np.vstack([fA, fB])
        largest = max(largest, np.abs(forces).max())
        for k in curves[key]:
            frame = frames[k]
            i = info(frame['comment'])
            worst_energy = max(worst_energy, abs(eA - float(i['energyA'])), abs(eB - float(i['energyB'])))
            comment = frame['comment']
            if 'monomer_forces' not in comment:
                comment = re.sub(r'Properties=(\S+)', lambda m: f'Properties={m.group(1)}:monomer_forces:R:3', comment, count=1)
            # columns 8-10: this script's (any columns after them are kept)
            atoms = [' '.join(a.split()[:8] + [f'{x:.10f}' for x in f] + a.split()[11:]) for a, f in zip(frame['atoms'], forces)]
            frame['comment'], frame['atoms'] = comment, atoms
    if worst_energy > 1e-5:
        sys.exit(f'xtb gives monomer energies up to {worst_energy:.2e} eV from energyA/energyB: not the settings of the data')
    write_frames(args.path, frames)
    print(f'{len(keys)} curves, {len(frames)} frames: monomer energies within {worst_energy:.1e} eV of energyA/energyB, '
          f'largest monomer force component {largest:.4f} eV/A')


if __name__ == '__main__':
    main()
