"""The server half of the i-PI protocol, shared by the engine drivers in plugins/.

Engines that cannot ask a socket client for forces themselves (LAMMPS through
fix external, OpenMM through a CustomExternalForce) run under a small Python
driver; this module is the socket side those drivers have in common, plus the
start-structure reader and the masses they need. Standard library and numpy
only, so it works with Debian's /usr/bin/python3.
"""
import os
import socket
import struct

import numpy as np

# CODATA 2014, the same conversions as the lodestone client (lib/ipi/protocol.ts).
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
