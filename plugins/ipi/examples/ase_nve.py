#!/usr/bin/python3
"""NVE molecular dynamics in ASE with forces from a lodestone i-PI client.

ASE's SocketIOCalculator is the server; start the client after this prints
'listening', e.g.

    /usr/bin/python3 ase_nve.py --unix nacl --xyz data/nacl-melt-64.xyz &
    lodestone ipi --model nacl.lsm --structure data/nacl-melt-64.xyz --unix nacl

With --out, every step is written as one JSON line (positions, cell, energy,
forces and stress exactly as ASE received them) so they can be compared with
the force field evaluated in-process.
"""
import argparse
import json
import sys
import time

import numpy as np
from ase import units
from ase.calculators.socketio import SocketIOCalculator
from ase.io import read
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
from ase.md.verlet import VelocityVerlet


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument('--unix', help='unix socket name (/tmp/ipi_NAME)')
    where.add_argument('--port', type=int, help='TCP port')
    parser.add_argument('--xyz', required=True, help='start structure (extended XYZ)')
    parser.add_argument('--index', type=int, default=0, help='frame of --xyz to start from')
    parser.add_argument('--steps', type=int, default=50)
    parser.add_argument('--dt', type=float, default=1.0, help='time step (fs)')
    parser.add_argument('--temperature', type=float, default=1100.0, help='initial temperature (K)')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--out', help='JSON lines, one per step')
    parser.add_argument('--timeout', type=float, default=120.0, help='socket timeout (s)')
    args = parser.parse_args()

    atoms = read(args.xyz, index=args.index)
    atoms.calc = None
    MaxwellBoltzmannDistribution(atoms, temperature_K=args.temperature, rng=np.random.RandomState(args.seed))
    out = open(args.out, 'w') if args.out else None
    if out:
        out.write(json.dumps({'ase_bohr': units.Bohr, 'ase_hartree': units.Hartree}) + '\n')

    with SocketIOCalculator(unixsocket=args.unix, port=args.port, timeout=args.timeout) as calc:
        print('listening', flush=True)
        atoms.calc = calc
        dyn = VelocityVerlet(atoms, timestep=args.dt * units.fs)
        count = [0]

        def record():
            epot = atoms.get_potential_energy()
            ekin = atoms.get_kinetic_energy()
            if out:
                out.write(json.dumps({
                    'step': count[0],
                    'positions': atoms.positions.ravel().tolist(),
                    'cell': atoms.cell.array.ravel().tolist(),
                    'energy': epot,
                    'kinetic': ekin,
                    'forces': atoms.get_forces().ravel().tolist(),
                    'stress': atoms.get_stress(voigt=False).ravel().tolist(),
                }) + '\n')
            count[0] += 1

        dyn.attach(record, interval=1)
        start = time.perf_counter()
        dyn.run(args.steps)
        seconds = time.perf_counter() - start
    if out:
        out.close()
    print(json.dumps({'steps': args.steps, 'seconds': seconds, 'steps_per_second': args.steps / seconds}), flush=True)


if __name__ == '__main__':
    sys.exit(main())
