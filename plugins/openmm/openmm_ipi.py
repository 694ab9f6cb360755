#!/usr/bin/python3
"""OpenMM dynamics with forces from an i-PI protocol client (e.g. `lodestone ipi`).

OpenMM has no force class that calls out to a socket. This driver makes the
Python side an i-PI server and feeds the client's forces to OpenMM through a
CustomExternalForce with energy -fx*x-fy*y-fz*z: its gradient is the constant
per-particle vector (fx, fy, fz), which is overwritten with the client's
forces before every step (updateParametersInContext).

    /usr/bin/python3 openmm_ipi.py --unix nacl --xyz start.xyz --steps 1000 --dt 1 --temperature 1100 &
    lodestone ipi --model nacl.lsm --structure start.xyz --unix nacl

Limits: OpenMM only ever sees forces. The CustomExternalForce energy is not
the potential energy (it depends on where the origin is), so the potential
energy reported here is the one in the client's reply; no virial reaches
OpenMM either, so its barostats cannot be used (NVE/NVT only).
Needs Debian's python3-simtk (OpenMM 7.7), with /usr/bin/python3.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'ipi', 'python'))
from ipi_server import MASSES, SYMBOLS, IpiServer, read_extxyz_first  # noqa: E402

# CODATA 2014 like the client's Bohr and Hartree, so all conversions share one constant set.
EV_KJMOL = 1.6021766208e-19 * 6.022140857e23 / 1000.0  # kJ/mol per eV
NM = 10.0  # A per nm
# eV/A -> kJ/mol/nm
FORCE_TO_OPENMM = EV_KJMOL * NM


def reduced_box(cell):
    """OpenMM's box: a along x, b in the xy plane, and c, b as short as the lattice allows.

    OpenMM rejects boxes that are not in this reduced form. Adding lattice
    vectors to one another leaves the crystal unchanged, so reducing is safe
    for the client, which gets the reduced cell too.
    """
    cell = np.array(cell, float)
    if abs(cell[0, 1]) + abs(cell[0, 2]) + abs(cell[1, 2]) > 1e-12:
        raise ValueError('OpenMM needs a lower-triangular cell (a along x, b in the xy plane); rotate the structure first')
    if min(cell[0, 0], cell[1, 1], cell[2, 2]) <= 0:
        raise ValueError('OpenMM needs positive diagonal cell entries (a right-handed lower-triangular cell)')
    a, b, c = cell
    c = c - b * round(c[1] / b[1])
    c = c - a * round(c[0] / a[0])
    b = b - a * round(b[0] / a[0])
    return np.array([a, b, c])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument('--unix', help='unix socket name (/tmp/ipi_NAME)')
    where.add_argument('--port', type=int, help='TCP port')
    parser.add_argument('--xyz', required=True, help='start structure (extended XYZ, first frame)')
    parser.add_argument('--steps', type=int, default=100)
    parser.add_argument('--dt', type=float, default=1.0, help='time step in fs')
    parser.add_argument('--temperature', type=float, default=300.0, help='initial Maxwell-Boltzmann velocities, K')
    parser.add_argument('--seed', type=int, default=4928)
    parser.add_argument('--platform', default='Reference',
                        help='OpenMM platform (Reference computes in double precision)')
    parser.add_argument('--out', help='JSON lines, one per step: what was sent, received and applied, and energies')
    parser.add_argument('--timeout', type=float, default=120.0)
    args = parser.parse_args()

    import openmm as mm
    from openmm import unit

    species, positions, cell = read_extxyz_first(args.xyz)
    for s in species:
        if s not in SYMBOLS:
            raise ValueError('no mass known for %s; extend MASSES/SYMBOLS in ipi_server.py' % s)
    box = reduced_box(cell)

    system = mm.System()
    for s in species:
        system.addParticle(MASSES[SYMBOLS[s]])  # Da
    system.setDefaultPeriodicBoxVectors(*(mm.Vec3(*(row / NM)) for row in box))
    external = mm.CustomExternalForce('-fx*x-fy*y-fz*z')
    for name in ('fx', 'fy', 'fz'):
        external.addPerParticleParameter(name)
    for i in range(len(species)):
        external.addParticle(i, [0.0, 0.0, 0.0])
    system.addForce(external)

    integrator = mm.VerletIntegrator(args.dt / 1000.0)  # ps
    platform = mm.Platform.getPlatformByName(args.platform)
    context = mm.Context(system, integrator, platform)
    context.setPositions(positions / NM)
    context.setVelocitiesToTemperature(args.temperature * unit.kelvin, args.seed)

    server = IpiServer(unix=args.unix, port=args.port, timeout=args.timeout)
    print('listening', flush=True)
    out = open(args.out, 'w') if args.out else None
    ok = False
    try:
        server.accept()
        start = time.perf_counter()
        # One evaluation per step plus one after the last, like LAMMPS's fix external.
        for step in range(args.steps + 1):
            # Wrapped positions: the client then sees atoms in the cell, as LAMMPS sends them;
            # OpenMM keeps integrating the unwrapped ones.
            state = context.getState(getPositions=True, enforcePeriodicBox=True)
            x = state.getPositions(asNumpy=True).value_in_unit(unit.nanometer) * NM
            energy, forces, virial = server.compute(box, x)
            scaled = forces * FORCE_TO_OPENMM
            for i in range(len(species)):
                external.setParticleParameters(i, i, scaled[i].tolist())
            external.updateParametersInContext(context)
            # Read only after the new parameters are in: Verlet's kinetic energy shifts the
            # half-step velocities by half a step with the current forces.
            state = context.getState(getForces=True, getEnergy=True)
            applied = state.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer) / FORCE_TO_OPENMM
            kinetic = state.getKineticEnergy().value_in_unit(unit.kilojoule_per_mole) / EV_KJMOL
            if out:
                out.write(json.dumps({'step': step, 'cell': box.ravel().tolist(), 'positions': x.ravel().tolist(),
                                      'energy': energy, 'forces': forces.ravel().tolist(),
                                      'applied': applied.ravel().tolist(), 'virial': virial.ravel().tolist(),
                                      'ke': kinetic, 'etotal': energy + kinetic}) + '\n')
            if step < args.steps:
                integrator.step(1)
        seconds = time.perf_counter() - start
        ok = True
    finally:
        server.close(send_exit=ok)
        if out:
            out.close()
    print(json.dumps({'steps': args.steps, 'seconds': seconds, 'steps_per_second': args.steps / seconds,
                      'platform': context.getPlatform().getName()}), flush=True)


if __name__ == '__main__':
    sys.exit(main())
