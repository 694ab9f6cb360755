#!/usr/bin/python3
"""LAMMPS dynamics with forces from an i-PI protocol client (e.g. `lodestone ipi`).

LAMMPS has no built-in way to *ask* a socket client for forces (its `fix ipi`
makes LAMMPS the client). This driver makes the Python side an i-PI server:
`fix external pf/callback` calls back every step, the callback sends the
positions and cell to the client and hands energy, forces and virial back to
LAMMPS (`fix_modify ... energy yes virial yes`, so thermo pe and press and
NPT barostats see them).

    /usr/bin/python3 lammps_ipi.py --unix nacl --xyz start.xyz --in examples/nacl-nve.in --steps 1000 &
    lodestone ipi --model nacl.lsm --structure start.xyz --unix nacl

The input script sets up everything except the run: it is run with
`-var data FILE`, a LAMMPS data file written from --xyz (atom IDs in file
order, atom types numbered by increasing atomic number, masses included).
Needs Debian's python3-lammps and liblammps-dev, with /usr/bin/python3.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

# The socket server is shared with the other engine drivers.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'ipi', 'python'))
from ipi_server import MASSES, SYMBOLS, IpiServer, read_extxyz_first  # noqa: E402


def write_data(path, species, positions, cell):
    if abs(cell[0, 1]) + abs(cell[0, 2]) + abs(cell[1, 2]) > 1e-12:
        raise ValueError('LAMMPS needs a lower-triangular cell (a along x, b in the xy plane); rotate the structure first')
    numbers = []
    for s in species:
        if s not in SYMBOLS:
            raise ValueError('no mass known for %s; extend MASSES/SYMBOLS in %s' % (s, __file__))
        numbers.append(SYMBOLS[s])
    kinds = sorted(set(numbers))
    with open(path, 'w') as f:
        f.write('written by lammps_ipi.py\n\n%d atoms\n%d atom types\n\n' % (len(numbers), len(kinds)))
        f.write('0 %.17g xlo xhi\n0 %.17g ylo yhi\n0 %.17g zlo zhi\n' % (cell[0, 0], cell[1, 1], cell[2, 2]))
        f.write('%.17g %.17g %.17g xy xz yz\n\nMasses\n\n' % (cell[1, 0], cell[2, 0], cell[2, 1]))
        for k, z in enumerate(kinds):
            f.write('%d %.10g\n' % (k + 1, MASSES[z]))
        f.write('\nAtoms # atomic\n\n')
        for i, (z, r) in enumerate(zip(numbers, positions)):
            f.write('%d %d %.17g %.17g %.17g\n' % (i + 1, kinds.index(z) + 1, r[0], r[1], r[2]))


def lammps_cell(lmp):
    boxlo, boxhi, xy, yz, xz, _periodicity, _change = lmp.extract_box()
    lx, ly, lz = (boxhi[k] - boxlo[k] for k in range(3))
    return np.array([[lx, 0, 0], [xy, ly, 0], [xz, yz, lz]])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument('--unix', help='unix socket name (/tmp/ipi_NAME)')
    where.add_argument('--port', type=int, help='TCP port')
    parser.add_argument('--xyz', required=True, help='start structure (extended XYZ, first frame)')
    parser.add_argument('--in', dest='input', required=True, help='LAMMPS input: setup without run (gets -var data FILE)')
    parser.add_argument('--steps', type=int, default=100)
    parser.add_argument('--out', help='JSON lines: one per force evaluation, then one per step of thermo')
    parser.add_argument('--timeout', type=float, default=120.0)
    parser.add_argument('--log', default='log.lammps',
                        help="LAMMPS's log file (default log.lammps, as LAMMPS; 'none' for no log)")
    parser.add_argument('--thermo', type=int, default=100,
                        help='print step, pe, ke, etotal (eV), press (bar) and vol every N steps (0: never)')
    args = parser.parse_args()
    if args.thermo < 0:
        parser.error('--thermo: expected a number of steps >= 0')

    from lammps import lammps

    species, positions, cell = read_extxyz_first(args.xyz)
    workdir = tempfile.mkdtemp(prefix='lammps-ipi-')
    data = os.path.join(workdir, 'start.data')
    write_data(data, species, positions, cell)

    server = IpiServer(unix=args.unix, port=args.port, timeout=args.timeout)
    print('listening', flush=True)
    out = open(args.out, 'w') if args.out else None
    # The screen stays quiet (one `run 1` per step would repeat the run banner
    # every step); the thermo lines below and the log are LAMMPS's output.
    lmp = lammps(cmdargs=['-log', args.log, '-screen', 'none', '-var', 'data', data])
    ok = False
    try:
        lmp.file(args.input)
        server.accept()
        natoms = lmp.get_natoms()

        def callback(_caller, step, nlocal, tag, x, f):
            if nlocal != natoms:
                raise RuntimeError('lammps_ipi.py runs on one MPI rank only')
            order = np.argsort(tag)
            box = lammps_cell(lmp)
            energy, forces, virial = server.compute(box, x[order])
            f[order] = forces
            lmp.fix_external_set_energy_global('ipi', energy)
            # LAMMPS order xx yy zz xy xz yz; W = -dE/d(strain) is LAMMPS's virial sign.
            lmp.fix_external_set_virial_global('ipi', [virial[0, 0], virial[1, 1], virial[2, 2],
                                                       0.5 * (virial[0, 1] + virial[1, 0]),
                                                       0.5 * (virial[0, 2] + virial[2, 0]),
                                                       0.5 * (virial[1, 2] + virial[2, 1])])
            if out:
                out.write(json.dumps({'kind': 'force', 'step': int(step), 'cell': box.ravel().tolist(),
                                      'positions': x[order].ravel().tolist(), 'energy': energy,
                                      'forces': forces.ravel().tolist(), 'virial': virial.ravel().tolist()}) + '\n')

        lmp.command('fix ipi all external pf/callback 1 1')
        lmp.command('fix_modify ipi energy yes virial yes')
        lmp.set_fix_external_callback('ipi', callback)
        lmp.command('thermo_style custom step pe ke etotal press vol')
        lmp.command('thermo 1')
        start = time.perf_counter()
        columns = ('step', 'pe', 'ke', 'etotal', 'press', 'vol')
        if args.thermo:
            print('%8s %16s %14s %16s %14s %12s' % ('Step', 'PotEng/eV', 'KinEng/eV', 'TotEng/eV', 'Press/bar', 'Volume/A^3'), flush=True)
        for k in range(args.steps):
            lmp.command('run 1' if k == 0 else 'run 1 pre no post no')
            if args.thermo and (k + 1) % args.thermo == 0:
                step, pe, ke, etotal, press, vol = (lmp.get_thermo(c) for c in columns)
                print('%8d %16.8f %14.8f %16.8f %14.4f %12.4f' % (step, pe, ke, etotal, press, vol), flush=True)
            if out:
                out.write(json.dumps({'kind': 'thermo', 'step': int(lmp.get_thermo('step')),
                                      'pe': lmp.get_thermo('pe'), 'ke': lmp.get_thermo('ke'),
                                      'etotal': lmp.get_thermo('etotal'),
                                      'press': lmp.get_thermo('press'),
                                      'volume': lmp.get_thermo('vol')}) + '\n')
        seconds = time.perf_counter() - start
        ok = True
    finally:
        server.close(send_exit=ok)
        if out:
            out.close()
        lmp.close()
    print(json.dumps({'steps': args.steps, 'seconds': seconds, 'steps_per_second': args.steps / seconds}), flush=True)


if __name__ == '__main__':
    sys.exit(main())
