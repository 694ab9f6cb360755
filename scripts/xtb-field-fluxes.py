"""How much of the far-field interaction forces of data/xtb-dimers.xyz is first-order electrostatics.

On a far frame (closest intermolecular atoms beyond --far A) where both molecules keep
whole charges (their partial charges sum to the formal ones within --whole e), the
interaction forces F(dimer) - F(A) - F(B) (the file's `forces` minus `monomer_forces`)
are, to first order in the partner's field, the derivatives with the atoms' positions
of each molecule's own charges and atomic dipoles times that field. This script takes
them from xtb itself: for every atom of each molecule alone it runs xtb at +-h along
each axis, and differentiates the energy of the displaced molecule's charges (and
atomic dipoles) in the field of the other molecule's (point multipoles, undisplaced).
It prints the RMS of the interaction forces and what is left of them after the
first-order forces of the charges alone and of charges and atomic dipoles: what a
model of charges (and dipoles) that move with the atoms can explain at best.

usage: python3 scripts/xtb-field-fluxes.py [data/xtb-dimers.xyz] [--class charged-charged]
       [--far 5.5] [--whole 0.003] [--frames 30] [--workers 2]
(needs `apt-get install xtb python3-numpy`; about ten seconds per 10 frames on two cores)
"""
import argparse
import importlib.util
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

_spec = importlib.util.spec_from_file_location('monomer_forces', os.path.join(os.path.dirname(__file__), 'xtb-monomer-forces.py'))
_xtb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_xtb)

COULOMB = 14.399645478425668  # eV A / e^2
STEP = 1e-3  # A


def columns(comment, atoms):
    """The per-atom columns of an extended-XYZ frame, by name (Properties=name:type:count:...)."""
    spec = _xtb.info(comment)['Properties'].split(':')
    out, start = {}, 0
    for name, _, count in zip(spec[0::3], spec[1::3], spec[2::3]):
        count = int(count)
        if name != 'species':
            out[name] = np.array([[float(x) for x in a.split()[start:start + count]] for a in atoms])
        start += count
    return out


def field_energy(q, mu, pos, q_other, mu_other, pos_other):
    """Energy (eV) of point charges and dipoles (q, mu at pos) in the field of the others'."""
    r = pos[:, None, :] - pos_other[None, :, :]
    d = np.linalg.norm(r, axis=2)
    mu_r = np.einsum('ik,ijk->ij', mu, r)
    muo_r = np.einsum('jk,ijk->ij', mu_other, r)
    energy = q[:, None] * q_other[None, :] / d + (q[:, None] * muo_r - q_other[None, :] * mu_r) / d**3
    energy += (mu @ mu_other.T) / d**3 - 3 * mu_r * muo_r / d**5
    return COULOMB * energy.sum()


def charges_and_dipoles(job):
    return tuple(_xtb.xtb_gradient(*job)[i] for i in (2, 4))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('path', nargs='?', default='data/xtb-dimers.xyz')
    parser.add_argument('--class', dest='cls', default='charged-charged')
    parser.add_argument('--far', type=float, default=5.5)
    parser.add_argument('--whole', type=float, default=0.003)
    parser.add_argument('--frames', type=int, default=30)
    parser.add_argument('--workers', type=int, default=2)
    args = parser.parse_args()
    chosen = []
    for frame in _xtb.read_frames(args.path):
        i = _xtb.info(frame['comment'])
        if i['class'] != args.cls:
            continue
        symbols, pos = _xtb.geometry(frame)
        n_a = int(i['atomsA'])
        cols = columns(frame['comment'], frame['atoms'])
        if np.linalg.norm(pos[:n_a, None] - pos[None, n_a:], axis=2).min() <= args.far:
            continue
        if abs(cols['charges'][:n_a].sum() - float(i['chargeA'])) >= args.whole:
            continue
        chosen.append((symbols, pos, n_a, (int(i['chargeA']), int(i['chargeB'])), cols['forces'] - cols['monomer_forces']))
    chosen = chosen[::max(1, len(chosen) // args.frames)][:args.frames]
    if not chosen:
        raise SystemExit(f'no far {args.cls} frame with whole charges in {args.path}')
    # every molecule undisplaced, then each atom at +-STEP along each axis
    jobs = []
    for symbols, pos, n_a, charges, _ in chosen:
        for part, charge in ((slice(0, n_a), charges[0]), (slice(n_a, None), charges[1])):
            jobs.append((symbols[part], pos[part], charge))
            for a in range(len(pos[part])):
                for x in range(3):
                    for sign in (1, -1):
                        moved = pos[part].copy()
                        moved[a, x] += sign * STEP
                        jobs.append((symbols[part], moved, charge))
    with ProcessPoolExecutor(args.workers) as pool:
        results = iter(pool.map(charges_and_dipoles, jobs))
    left = {'none': [], 'charge fluxes': [], 'charge and dipole fluxes': []}
    for symbols, pos, n_a, _, interaction in chosen:
        parts = (slice(0, n_a), slice(n_a, None))
        runs = []
        for part in parts:
            base = next(results)
            runs.append((base, [next(results) for _ in range(6 * len(pos[part]))]))
        for label, dipoles in (('charge fluxes', False), ('charge and dipole fluxes', True)):
            forces = np.zeros_like(pos)
            for m, part in enumerate(parts):
                (q_other, mu_other) = runs[1 - m][0]
                other = pos[parts[1 - m]]
                mu_o = mu_other if dipoles else np.zeros_like(mu_other)
                mine = pos[part]
                for k, (q, mu) in enumerate(runs[m][1]):
                    a, x, sign = k // 6, (k // 2) % 3, 1 if k % 2 == 0 else -1
                    moved = mine.copy()
                    moved[a, x] += sign * STEP
                    e = field_energy(q, mu if dipoles else np.zeros_like(mu), moved, q_other, mu_o, other)
                    forces[part][a, x] -= sign * e / (2 * STEP)
            left[label].append(interaction - forces)
        left['none'].append(interaction)
    print(f'{args.cls}: {len(chosen)} far frames (closest intermolecular atoms > {args.far} A) with whole charges (within {args.whole} e)')
    for label, values in left.items():
        print(f'  interaction forces left after {label:>24}: rms {np.sqrt(np.mean(np.concatenate(values) ** 2)):.4f} eV/A')


if __name__ == '__main__':
    main()
