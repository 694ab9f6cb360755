// An i-PI protocol client: lets i-PI, ASE (SocketIOCalculator) or any other
// i-PI-speaking server drive a lodestone ForceField over a socket.
import { createConnection, type Socket } from 'node:net';
import type { ForceField, ForceFieldResult } from '../core/forcefield.js';
import { cellVolume, type System } from '../core/system.js';
import { CODATA2014, encodeMessage, IpiProtocolError, MessageDecoder, type AtomicUnits, type Message } from './protocol.js';

export interface ServeOptions {
  /** Unix socket name: connects to /tmp/ipi_<unix>. */
  unix?: string;
  /** TCP host (default localhost when `port` is given). */
  host?: string;
  /** TCP port (i-PI's default is 31415). */
  port?: number;
  /**
   * Atomic numbers of the atoms in the server's order. The protocol carries
   * no species, so they come from a start structure or a list.
   */
  types: ArrayLike<number>;
  /** Periodicity; default: periodic in all directions when the server sends a non-zero cell. */
  pbc?: boolean | readonly [boolean, boolean, boolean];
  /** Conversions at the socket boundary; default CODATA 2014 (see protocol.ts). */
  units?: AtomicUnits;
  /** Keep retrying a refused / missing socket for this long (ms) — servers start slowly. Default 0. */
  connectTimeout?: number;
  /**
   * A server that goes silent in the middle of a message for this long (ms)
   * ends the client with an error. Default 60 000; 0 disables.
   */
  stallTimeout?: number;
  /** Called after each FORCEREADY has been sent. */
  onStep?: (step: StepInfo) => void;
  /**
   * Extra JSON fields sent with each result (i-PI parses them into its
   * `extras`). Default none, sent as an empty string: ASE 3.22 crashes on an
   * extra string longer than one byte, so only use this with i-PI.
   */
  extras?: (result: ForceFieldResult, system: System) => Record<string, unknown> | undefined;
  /** Diagnostics (connection, INIT, end). */
  log?: (line: string) => void;
  /** Aborting closes the connection and rejects. */
  signal?: AbortSignal;
}

export interface StepInfo {
  /** 0-based count of force evaluations served. */
  step: number;
  /** Bead / replica index from the last INIT (null if the server never sent INIT). */
  bead: number | null;
  /** The system as computed: A, cell rows = lattice vectors. */
  system: System;
  /** eV, eV/A, eV. */
  result: ForceFieldResult;
  /** Size of the client's receive buffer (bytes): constant once the largest message has been seen. */
  bufferBytes: number;
}

export interface ServeSummary {
  /** Force evaluations served. */
  steps: number;
  /** 'exit': the server sent EXIT (i-PI); 'close': it closed the connection between messages (ASE). */
  end: 'exit' | 'close';
  bead: number | null;
  seconds: number;
}

export function describeAddress(options: Pick<ServeOptions, 'unix' | 'host' | 'port'>): string {
  return options.unix !== undefined
    ? `unix socket /tmp/ipi_${options.unix}`
    : `tcp ${options.host ?? 'localhost'}:${options.port}`;
}

const RETRYABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);
const CLEAN_CLOSE = new Set(['ECONNRESET', 'EPIPE']);

function connectOnce(options: ServeOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      options.unix !== undefined
        ? createConnection({ path: `/tmp/ipi_${options.unix}` })
        : createConnection({ host: options.host ?? 'localhost', port: options.port! });
    const onError = (e: Error): void => {
      socket.destroy();
      reject(e);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

async function connect(options: ServeOptions): Promise<Socket> {
  const deadline = Date.now() + (options.connectTimeout ?? 0);
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await connectOnce(options);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (!RETRYABLE.has(code) || Date.now() >= deadline) {
        const waited = options.connectTimeout ? ` (retried for ${(options.connectTimeout / 1000).toFixed(0)} s)` : '';
        throw new Error(`cannot connect to ${describeAddress(options)}: ${(e as Error).message}${waited}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function checkOptions(options: ServeOptions): void {
  const hasUnix = options.unix !== undefined;
  const hasTcp = options.port !== undefined || options.host !== undefined;
  if (hasUnix === hasTcp) throw new Error('serveForceField: give either `unix` (a socket name) or `host`/`port`');
  if (hasUnix && (!options.unix || /[\/\0]/.test(options.unix))) {
    throw new Error(`serveForceField: unix socket name ${JSON.stringify(options.unix)} must be non-empty without '/'`);
  }
  if (hasTcp && !(Number.isInteger(options.port) && options.port! > 0 && options.port! < 65536)) {
    throw new Error(`serveForceField: port must be an integer in 1..65535, got ${String(options.port)}`);
  }
  if (!options.types || options.types.length === 0) throw new Error('serveForceField: `types` must list the atomic number of every atom');
  for (let i = 0; i < options.types.length; i++) {
    const z = options.types[i];
    if (!Number.isInteger(z) || z <= 0) throw new Error(`serveForceField: types[${i}] = ${String(z)} is not an atomic number`);
  }
  const u = options.units;
  if (u && !(u.bohr > 0 && u.hartree > 0)) throw new Error('serveForceField: units.bohr and units.hartree must be positive');
}

/**
 * Connects to an i-PI protocol server and serves `forceField` until the
 * server sends EXIT or closes the connection between messages. Rejects on
 * malformed data, a close in the middle of a message, a stalled message,
 * a socket error, or a force-field failure, with an Error saying which.
 *
 * Forces are computed as soon as POSDATA arrives (ASE asks for HAVEDATA on
 * the next STATUS). compute() is synchronous: one client serves one
 * configuration at a time; run several clients for several beads.
 */
export async function serveForceField(forceField: ForceField, options: ServeOptions): Promise<ServeSummary> {
  checkOptions(options);
  const socket = await connect(options);
  if (options.unix === undefined) socket.setNoDelay(true);
  const address = describeAddress(options);
  options.log?.(`connected to ${address}`);
  return session(socket, forceField, options, address);
}

function session(socket: Socket, forceField: ForceField, options: ServeOptions, address: string): Promise<ServeSummary> {
  const types = Int32Array.from(options.types);
  const N = types.length;
  const { bohr, hartree } = options.units ?? CODATA2014;
  const pbcOption: [boolean, boolean, boolean] | undefined =
    options.pbc === undefined ? undefined : typeof options.pbc === 'boolean' ? [options.pbc, options.pbc, options.pbc] : [...options.pbc];
  const stallTimeout = options.stallTimeout ?? 60_000;
  const decoder = new MessageDecoder({ expectAtoms: N });
  const started = performance.now();

  let initialised = false;
  let bead: number | null = null;
  let steps = 0;
  let ready: { reply: Buffer; system: System; result: ForceFieldResult } | null = null;
  let stallTimer: NodeJS.Timeout | null = null;

  return new Promise<ServeSummary>((resolve, reject) => {
    let settled = false;
    const cleanup = (): void => {
      settled = true;
      if (stallTimer) clearTimeout(stallTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: unknown): void => {
      if (settled) return;
      cleanup();
      socket.destroy();
      const error = e instanceof Error ? e : new Error(String(e));
      if (!error.message.includes(address)) error.message = `${address}: ${error.message}`;
      reject(error);
    };
    const finish = (end: 'exit' | 'close'): void => {
      if (settled) return;
      cleanup();
      const seconds = (performance.now() - started) / 1000;
      options.log?.(`${end === 'exit' ? 'EXIT received' : 'server closed the connection'} after ${steps} steps`);
      // end() flushes replies still queued (EXIT may arrive in the same read as
      // GETFORCE); destroy later in case the server never closes its side.
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
      resolve({ steps, end, bead, seconds });
    };
    const onAbort = (): void => fail(new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort);
    if (options.signal?.aborted) onAbort();

    const send = (bytes: Buffer): void => {
      socket.write(bytes);
    };

    const compute = (message: Extract<Message, { type: 'POSDATA' }>): void => {
      // h holds the lattice vectors as columns: transpose to rows.
      const cellRows = new Float64Array(9);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) cellRows[3 * i + j] = message.h[3 * j + i] * bohr;
      const positions = message.positions;
      for (let k = 0; k < positions.length; k++) {
        if (!Number.isFinite(positions[k])) throw new IpiProtocolError(`POSDATA: position component ${k} is ${positions[k]}`);
        positions[k] *= bohr;
      }
      for (let k = 0; k < 9; k++) {
        if (!Number.isFinite(cellRows[k])) throw new IpiProtocolError(`POSDATA: cell component ${k} is ${cellRows[k]}`);
      }
      const hasCell = cellRows.some((v) => v !== 0);
      const pbc = hasCell ? (pbcOption ?? [true, true, true]) : [false, false, false];
      const system: System = { positions, types, cell: hasCell ? cellRows : null, pbc };
      const wantStress = hasCell && pbc.some((b) => b);
      let result: ForceFieldResult;
      try {
        result = forceField.compute(system, { forces: true, stress: wantStress });
      } catch (e) {
        throw new Error(`step ${steps}: the force field failed: ${(e as Error).message}`);
      }
      const forces = result.forces;
      if (!Number.isFinite(result.energy)) throw new Error(`step ${steps}: the force field returned energy ${result.energy}`);
      if (!forces || forces.length !== 3 * N) {
        throw new Error(`step ${steps}: the force field returned ${forces ? forces.length : 'no'} force components, expected ${3 * N}`);
      }
      let virial = result.virial;
      if (!virial && result.stress && wantStress) {
        const volume = cellVolume(cellRows);
        virial = result.stress.map((s) => -volume * s);
      }
      const forcesAu = new Float64Array(3 * N);
      const forceUnit = bohr / hartree;
      for (let k = 0; k < 3 * N; k++) forcesAu[k] = forces[k] * forceUnit;
      // Sent column-major (the transpose, row by row), as i-PI and ASE read it.
      const virialAu = new Float64Array(9);
      if (virial) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) virialAu[3 * i + j] = virial[3 * j + i] / hartree;
      const extras = options.extras?.(result, system);
      const reply = encodeMessage({
        type: 'FORCEREADY',
        energy: result.energy / hartree,
        forces: forcesAu,
        virial: virialAu,
        extra: extras === undefined ? '' : JSON.stringify(extras),
      });
      ready = { reply, system, result };
    };

    const handle = (message: Message): boolean => {
      switch (message.type) {
        case 'STATUS':
          send(encodeMessage({ type: !initialised ? 'NEEDINIT' : ready ? 'HAVEDATA' : 'READY' }));
          return true;
        case 'INIT':
          initialised = true;
          if (bead !== message.bead) {
            // ASE sends a single NUL byte as its (unused) parameter string.
            const text = message.text.replace(/\0/g, '').trim();
            options.log?.(`INIT: bead ${message.bead}${text ? `, parameters ${JSON.stringify(text)}` : ''}`);
          }
          bead = message.bead;
          return true;
        case 'POSDATA':
          if (ready) throw new IpiProtocolError('POSDATA arrived while the previous result was still waiting for GETFORCE');
          // Some servers skip INIT; positions imply the client is in use.
          initialised = true;
          compute(message);
          return true;
        case 'GETFORCE': {
          if (!ready) throw new IpiProtocolError('GETFORCE arrived before any POSDATA');
          const done = ready;
          ready = null;
          send(done.reply);
          const step = steps++;
          options.onStep?.({ step, bead, system: done.system, result: done.result, bufferBytes: decoder.capacity });
          return true;
        }
        case 'EXIT':
          finish('exit');
          return false;
        default:
          throw new IpiProtocolError(`the server sent ${message.type}, a message only clients send`);
      }
    };

    const armStallTimer = (): void => {
      if (stallTimer) clearTimeout(stallTimer);
      stallTimer = null;
      if (stallTimeout > 0 && decoder.pending > 0) {
        stallTimer = setTimeout(() => {
          fail(new IpiProtocolError(`the server stalled for ${stallTimeout / 1000} s in the middle of ${decoder.describePartial()}`));
        }, stallTimeout);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        decoder.push(chunk);
        for (let message = decoder.next(); message; message = decoder.next()) {
          if (!handle(message)) return;
        }
        armStallTimer();
      } catch (e) {
        fail(e);
      }
    });
    socket.on('end', () => {
      try {
        decoder.finish();
        finish('close');
      } catch (e) {
        fail(e);
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (CLEAN_CLOSE.has(e.code ?? '') && decoder.pending === 0) return finish('close');
      if (CLEAN_CLOSE.has(e.code ?? '') && decoder.pending > 0) {
        return fail(new IpiProtocolError(`connection reset in the middle of ${decoder.describePartial()}`));
      }
      fail(new Error(`socket error: ${e.message}`));
    });
    socket.on('close', () => {
      // 'end' or 'error' normally settles first; this catches any other way the socket can go away.
      if (!settled) {
        if (decoder.pending > 0) fail(new IpiProtocolError(`connection closed in the middle of ${decoder.describePartial()}`));
        else finish('close');
      }
    });
  });
}
