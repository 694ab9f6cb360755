"""Adds GFN2-xTB's atomic dipoles to data/xtb-dimers.xyz.

GFN2-xTB's electrostatics has charges and atomic dipoles (and quadrupoles):
its molecular dipole is sum_i q_i r_i + sum_i p_i, and its partial charges
alone give only 65-85 % of it on the polar molecules of the data. Charges
learned from the partial charges then draw too weak a field around a polar
molecule; the atomic dipoles let the charge fit carry them too (each one by
charges on its atom and bonded neighbours: lib/model/dipole-charges.ts).
This script runs Debian's xtb (6.5.1, GFN2, the settings of the data; up to
1000 SCC iterations, which one far ion pair needs: its dipole then comes out
5e-4 e A from the data's, every other within 1e-6) on every frame, checks
its energy, charges and dipole against the frame's, and writes a per-atom
column `atomic_dipoles` (e A).

usage: python3 scripts/xtb-atomic-dipoles.py [data/xtb-dimers.xyz] [--workers 2]
(needs `apt-get install xtb python3-numpy`; seconds on two cores)
"""
import argparse
import importlib.util
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor

# The dimer file's reader and the xtb run (same folder; its name has dashes).
_spec = importlib.util.spec_from_file_location('monomer_forces', os.path.join(os.path.dirname(__file__), 'xtb-monomer-forces.py'))
_forces = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_forces)

COLUMN = 'atomic_dipoles'


def xtb_frame(job):
    """Energy (eV), partial charges (e), dipole and atomic dipoles (e A) of one frame."""
    energy, _, charges, dipole, atomic = _forces.xtb_gradient(*job, extra=('--iterations', '1000'))
    return energy, charges, dipole, atomic


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('path', nargs='?', default='data/xtb-dimers.xyz')
    parser.add_argument('--workers', type=int, default=2)
    args = parser.parse_args()
    frames = _forces.read_frames(args.path)
    jobs = []
    for frame in frames:
        i = _forces.info(frame['comment'])
        symbols, pos = _forces.geometry(frame)
        jobs.append((symbols, pos, int(i['chargeA']) + int(i['chargeB'])))
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(xtb_frame, jobs, chunksize=8))
    worst = {'energy': 0.0, 'charges': 0.0, 'dipole': 0.0}
    off = []
    for frame, (energy, charges, dipole, atomic) in zip(frames, results):
        i = _forces.info(frame['comment'])
        rows = [a.split() for a in frame['atoms']]
        names = re.match(r'Properties=(\S+)', frame['comment']).group(1).split(':')
        columns = sum(int(names[3 * c + 2]) for c in range(len(names) // 3) if names[3 * c] != COLUMN)
        worst['energy'] = max(worst['energy'], abs(energy - float(i['energy'])))
        worst['charges'] = max(worst['charges'], max(abs(q - float(r[7])) for q, r in zip(charges, rows)))
        gap = max(abs(d - float(x)) for d, x in zip(dipole, i['dipole'].split()))
        worst['dipole'] = max(worst['dipole'], gap)
        if gap > 1e-6:
            off.append(f"{i['pair']} {i['orientation']} {float(i['distance']):.2f} A: {gap:.1e}")
        if COLUMN not in frame['comment']:
            frame['comment'] = re.sub(r'Properties=(\S+)', lambda m: f'Properties={m.group(1)}:{COLUMN}:R:3', frame['comment'], count=1)
        frame['atoms'] = [' '.join(r[:columns] + [f'{x:.8f}' for x in p]) for r, p in zip(rows, atomic)]
    print('\n'.join(['dipoles off the data by more than 1e-6 e A:'] + off) if off else 'every dipole within 1e-6 e A of the data')
    if worst['energy'] > 1e-5 or worst['charges'] > 1e-6 or worst['dipole'] > 1e-3:
        sys.exit(f'xtb differs from the data (energy {worst["energy"]:.1e} eV, charges {worst["charges"]:.1e} e, '
                 f'dipole {worst["dipole"]:.1e} e A): not its settings')
    _forces.write_frames(args.path, frames)
    print(f'{len(frames)} frames: energies within {worst["energy"]:.1e} eV, charges {worst["charges"]:.1e} e, '
          f'dipoles {worst["dipole"]:.1e} e A of the data')


if __name__ == '__main__':
    main()
