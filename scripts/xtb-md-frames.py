"""Frames of GFN2-xTB molecular dynamics of the pairs of data/xtb-dimers.xyz.

The binding curves keep both molecules rigid, and the distorted monomers
(scripts/xtb-distorted-monomers.py) move each molecule's atoms at random
but never as the molecule moves at a temperature, and never next to its
partner: a model fitted to them has not seen a thermal geometry of the
complex, and MD with it leaves its data within a few hundred fs. This script
runs Debian's xtb MD (6.5.1, GFN2, the settings of the dimer file) of each
pair, started at the most bound point of its curves: `--temperature` K
(Berendsen, xtb's NVT), no constraints and no hydrogen mass scaling (bond
vibrations as they are), `--step` fs; after `--equilibrate` ps it keeps a
frame every `--every` fs for `--time` ps and recomputes each with xtb
(energy, forces, partial charges, dipole, atomic dipoles: the columns of the
dimer file). Keys per frame: `pair`, `class`, `chargeA`, `chargeB`,
`atomsA` (as the dimer file; `atomsA` counts the atoms as they start, and a
proton may change molecules: xtb moves one to the anion in acetate +
methylammonium and chloride + ammonium within the first picosecond),
`orientation` (`md`: appended to the dimer file, each trajectory is one
more curve of its pair for `--group-key pair,orientation`), `time` (ps
since the start of the sampling), `block` (`--block` ps segments of each
trajectory: cross-validation groups that do not share correlated
neighbours) and `temperature`.

usage: python3 scripts/xtb-md-frames.py [--dimers data/xtb-dimers.xyz]
       [--out data/xtb-md.xyz] [--temperature 300] [--equilibrate 1] [--time 4]
       [--every 25] [--step 0.5] [--block 0.5] [--workers 2]
(needs `apt-get install xtb python3-numpy`; about four minutes on two cores)
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np

_spec = importlib.util.spec_from_file_location('monomer_forces', os.path.join(os.path.dirname(__file__), 'xtb-monomer-forces.py'))
_forces = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_forces)


def starts(path):
    """Each pair's most bound frame over its curves: pair -> (symbols, positions, info)."""
    found = {}
    for frame in _forces.read_frames(path):
        i = _forces.info(frame['comment'])
        best = found.get(i['pair'])
        if best is None or float(i['binding_energy']) < float(best[2]['binding_energy']):
            found[i['pair']] = (*_forces.geometry(frame), i)
    return found


def trajectory(job):
    """xtb MD of one pair: the positions (A) of every dumped step after equilibration."""
    symbols, pos, charge, args = job
    total = args.equilibrate + args.time
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, 'in.xyz'), 'w') as f:
            f.write(f'{len(symbols)}\n\n' + ''.join(f'{s} {p[0]:.10f} {p[1]:.10f} {p[2]:.10f}\n' for s, p in zip(symbols, pos)))
        with open(os.path.join(d, 'md.inp'), 'w') as f:
            # shake=0 / hmass=1: no bond constraints, real hydrogen masses;
            # velo=false: positions only in xtb.trj.
            f.write(f'$md\n   temp={args.temperature}\n   time={total}\n   dump={args.every}\n   step={args.step}\n'
                    f'   hmass=1\n   shake=0\n   velo=false\n   nvt=true\n$end\n')
        env = dict(os.environ, OMP_NUM_THREADS='1', OMP_STACKSIZE='500M')
        subprocess.run(['xtb', 'in.xyz', '--gfn', '2', '--chrg', str(charge), '--md', '--input', 'md.inp', '--norestart'],
                       cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        lines = open(os.path.join(d, 'xtb.trj')).read().split('\n')
    n = len(symbols)
    frames = []
    for k in range(0, len(lines) - n - 1, n + 2):
        rows = [r.split() for r in lines[k + 2:k + 2 + n]]
        if [r[0].capitalize() for r in rows] != [s.capitalize() for s in symbols]:
            raise RuntimeError('xtb.trj: unexpected atom order')
        frames.append(np.array([[float(x) for x in r[1:4]] for r in rows]))
    # dump k is at (k + 1) * every fs
    skip = int(round(args.equilibrate * 1000 / args.every)) - 1
    return frames[skip + 1:]


def single_point(job):
    return _forces.xtb_gradient(*job)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--dimers', default='data/xtb-dimers.xyz')
    parser.add_argument('--out', default='data/xtb-md.xyz')
    parser.add_argument('--temperature', type=float, default=300.0)
    parser.add_argument('--equilibrate', type=float, default=1.0)
    parser.add_argument('--time', type=float, default=4.0)
    parser.add_argument('--every', type=float, default=25.0)
    parser.add_argument('--step', type=float, default=0.5)
    parser.add_argument('--block', type=float, default=0.5)
    parser.add_argument('--pairs', default='', help='comma-separated pairs (default: all)')
    parser.add_argument('--workers', type=int, default=2)
    args = parser.parse_args()
    found = starts(args.dimers)
    pairs = sorted(found) if not args.pairs else args.pairs.split(',')
    missing = [p for p in pairs if p not in found]
    if missing:
        sys.exit(f'no pair {missing} in {args.dimers}')
    charge = lambda i: int(i['chargeA']) + int(i['chargeB'])
    with ProcessPoolExecutor(args.workers) as pool:
        runs = list(pool.map(trajectory, [(found[p][0], found[p][1], charge(found[p][2]), args) for p in pairs]))
        jobs = [(found[p][0], pos, charge(found[p][2])) for p, run in zip(pairs, runs) for pos in run]
        results = list(pool.map(single_point, jobs, chunksize=4))
    k = 0
    with open(args.out, 'w') as f:
        for p, run in zip(pairs, runs):
            symbols, _, i = found[p]
            for t, pos in enumerate(run):
                energy, forces, charges, dipole, atomic = results[k]
                k += 1
                time = t * args.every / 1000
                f.write(f'{len(symbols)}\n')
                f.write(f'Properties=species:S:1:pos:R:3:forces:R:3:charges:R:1:atomic_dipoles:R:3 energy={energy:.10f} '
                        f'chargeA={i["chargeA"]} chargeB={i["chargeB"]} class={i["class"]} pair={p} atomsA={i["atomsA"]} '
                        f'orientation=md time={time:.4f} block={int(time // args.block)} temperature={args.temperature:g} '
                        f'dipole="{dipole[0]:.8f} {dipole[1]:.8f} {dipole[2]:.8f}" pbc="F F F"\n')
                for s, x, fo, q, dp in zip(symbols, pos, forces, charges, atomic):
                    f.write(f'{s} {x[0]:.10f} {x[1]:.10f} {x[2]:.10f} {fo[0]:.10f} {fo[1]:.10f} {fo[2]:.10f} {q:.8f} '
                            f'{dp[0]:.8f} {dp[1]:.8f} {dp[2]:.8f}\n')
    print(f'{len(pairs)} pairs x {len(runs[0])} frames ({args.temperature:g} K, every {args.every:g} fs) -> {args.out}')


if __name__ == '__main__':
    main()
