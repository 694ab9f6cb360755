// The i-PI socket protocol (spoken by i-PI and by ASE's SocketIOCalculator):
// a streaming decoder that tolerates any split of the byte stream into reads,
// and encoders for every message. All numbers are little-endian int32 and
// float64 (the protocol says "native"; every platform we build for is
// little-endian). Quantities on the wire are in atomic units.

/** Message headers, as sent on the wire without their space padding. */
export const HEADERS = [
  'STATUS',
  'READY',
  'NEEDINIT',
  'INIT',
  'POSDATA',
  'HAVEDATA',
  'GETFORCE',
  'FORCEREADY',
  'EXIT',
] as const;
export type Header = (typeof HEADERS)[number];

export const HEADER_BYTES = 12;

/**
 * Atomic-unit conversions used at the socket boundary: CODATA 2014, the
 * values i-PI and ASE 3.22 are built on (ASE derives them from the
 * fundamental constants and agrees to ~2e-10; i-PI rounds them to 8
 * digits). Override with `units` when bit-level agreement with a specific
 * engine matters.
 */
export const CODATA2014 = Object.freeze({
  /** Bohr radius in A. */
  bohr: 0.52917721067,
  /** Hartree in eV. */
  hartree: 27.21138602,
});
export interface AtomicUnits {
  bohr: number;
  hartree: number;
}

export type Message =
  | { type: 'STATUS' | 'READY' | 'NEEDINIT' | 'HAVEDATA' | 'GETFORCE' | 'EXIT' }
  | { type: 'INIT'; bead: number; text: string }
  | {
      type: 'POSDATA';
      /** h as sent: 3x3 row-major with the lattice vectors as columns (Bohr). */
      h: Float64Array;
      /** h^-1 as sent (1/Bohr); engines disagree on its transpose, so do not rely on it. */
      hInverse: Float64Array;
      /** [N][3] row-major, Bohr. */
      positions: Float64Array;
    }
  | {
      type: 'FORCEREADY';
      /** Hartree. */
      energy: number;
      /** [N][3] row-major, Hartree/Bohr. */
      forces: Float64Array;
      /** 3x3 as sent (Hartree). */
      virial: Float64Array;
      extra: string;
    };

export class IpiProtocolError extends Error {
  override name = 'IpiProtocolError';
}

export interface DecoderLimits {
  /** Largest atom count accepted in POSDATA / FORCEREADY. Default 10 000 000. */
  maxAtoms?: number;
  /** When set, POSDATA must announce exactly this many atoms. */
  expectAtoms?: number;
  /** Largest INIT / extra string accepted (bytes). Default 16 MiB. */
  maxStringBytes?: number;
}

const PADDED = new Map<string, Header>(HEADERS.map((h) => [h.padEnd(HEADER_BYTES, ' '), h]));

function printable(bytes: Buffer): string {
  const text = JSON.stringify(bytes.toString('latin1'));
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `${text} (hex ${hex})`;
}

/** Whether `bytes` can still grow into a valid padded header. */
function isHeaderPrefix(bytes: Buffer): boolean {
  for (const padded of PADDED.keys()) {
    let ok = true;
    for (let k = 0; k < bytes.length && ok; k++) ok = bytes[k] === padded.charCodeAt(k);
    if (ok) return true;
  }
  return false;
}

/**
 * Incremental decoder: `push` bytes as they arrive, then call `next` until
 * it returns null. Incomplete messages stay buffered; invalid input throws
 * an IpiProtocolError as soon as it can be recognised (a bad header after
 * its first wrong byte, a bad count as soon as the count arrives), so a
 * broken peer never leaves the reader waiting for bytes that will not come.
 */
export class MessageDecoder {
  private buffer: Buffer;
  private start = 0;
  private end = 0;
  /** Stream offset of buffer[start], for error messages. */
  private consumed = 0;
  /** What the incomplete message at `start` is known to need so far. */
  private partial: { what: string; needed: number; exact: boolean } | null = null;
  private readonly maxAtoms: number;
  private readonly expectAtoms: number | undefined;
  private readonly maxStringBytes: number;

  constructor(limits: DecoderLimits = {}) {
    this.maxAtoms = limits.maxAtoms ?? 10_000_000;
    this.expectAtoms = limits.expectAtoms;
    this.maxStringBytes = limits.maxStringBytes ?? 16 * 1024 * 1024;
    this.buffer = Buffer.alloc(4096);
  }

  /** Bytes received but not yet decoded. */
  get pending(): number {
    return this.end - this.start;
  }

  /** Size of the internal buffer: bounded by the largest message plus one read. */
  get capacity(): number {
    return this.buffer.length;
  }

  /** Total bytes decoded so far. */
  get offset(): number {
    return this.consumed;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.buffer.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buffer.length) {
        this.buffer.copy(this.buffer, 0, this.start, this.end);
      } else {
        const grown = Buffer.alloc(Math.max(2 * this.buffer.length, live + chunk.length));
        this.buffer.copy(grown, 0, this.start, this.end);
        this.buffer = grown;
      }
      this.start = 0;
      this.end = live;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** The next complete message, or null when more bytes are needed. */
  next(): Message | null {
    const available = this.end - this.start;
    if (available === 0) {
      this.partial = null;
      return null;
    }
    const at = this.start;
    const buf = this.buffer;
    if (available < HEADER_BYTES) {
      const head = buf.subarray(at, this.end);
      if (!isHeaderPrefix(head)) this.fail(`invalid message header ${printable(head)}`);
      this.partial = { what: 'a message header', needed: HEADER_BYTES, exact: true };
      return null;
    }
    const raw = buf.subarray(at, at + HEADER_BYTES);
    const header = PADDED.get(raw.toString('latin1'));
    if (!header) this.fail(`unknown message header ${printable(raw)}; expected one of ${HEADERS.join(', ')}`);
    const body = at + HEADER_BYTES;
    // `exact` is false while a count that sets the message length is still to come.
    const need = (bytes: number, exact = true): boolean => {
      this.partial = { what: `a ${header} message`, needed: bytes, exact };
      return available >= bytes;
    };
    switch (header) {
      case 'INIT': {
        if (!need(HEADER_BYTES + 8, false)) return null;
        const bead = buf.readInt32LE(body);
        const length = this.stringLength(buf.readInt32LE(body + 4), 'INIT string');
        if (!need(HEADER_BYTES + 8 + length)) return null;
        const text = buf.toString('utf8', body + 8, body + 8 + length);
        return this.take(HEADER_BYTES + 8 + length, { type: 'INIT', bead, text });
      }
      case 'POSDATA': {
        const fixed = HEADER_BYTES + 18 * 8 + 4;
        if (!need(fixed, false)) return null;
        const n = this.atomCount(buf.readInt32LE(body + 18 * 8), 'POSDATA', true);
        if (!need(fixed + 24 * n)) return null;
        const h = readDoubles(buf, body, 9);
        const hInverse = readDoubles(buf, body + 72, 9);
        const positions = readDoubles(buf, fixed + at, 3 * n);
        return this.take(fixed + 24 * n, { type: 'POSDATA', h, hInverse, positions });
      }
      case 'FORCEREADY': {
        if (!need(HEADER_BYTES + 12, false)) return null;
        const n = this.atomCount(buf.readInt32LE(body + 8), 'FORCEREADY', false);
        const stringAt = HEADER_BYTES + 12 + 24 * n + 72;
        if (!need(stringAt + 4, false)) return null;
        const length = this.stringLength(buf.readInt32LE(at + stringAt), 'FORCEREADY extra string');
        if (!need(stringAt + 4 + length)) return null;
        const energy = buf.readDoubleLE(body);
        const forces = readDoubles(buf, body + 12, 3 * n);
        const virial = readDoubles(buf, body + 12 + 24 * n, 9);
        const extra = buf.toString('utf8', at + stringAt + 4, at + stringAt + 4 + length);
        return this.take(stringAt + 4 + length, { type: 'FORCEREADY', energy, forces, virial, extra });
      }
      default:
        return this.take(HEADER_BYTES, { type: header });
    }
  }

  /**
   * Call when the stream has ended: throws if it stopped inside a message,
   * naming the message and how much of it arrived.
   */
  finish(): void {
    if (this.pending === 0) return;
    // Classifies the leftover bytes, throwing if they are not even a valid start.
    if (this.next() !== null) throw new Error('MessageDecoder.finish: complete messages were left undecoded');
    throw new IpiProtocolError(`connection closed in the middle of ${this.describePartial()}`);
  }

  /** E.g. "a POSDATA message (1000 of 1684 bytes, at byte 4096 of the stream)". */
  describePartial(): string {
    const what = this.partial ?? { what: 'a message', needed: NaN, exact: true };
    const of = Number.isFinite(what.needed) ? ` of ${what.exact ? '' : 'at least '}${what.needed}` : '';
    return `${what.what} (${this.pending}${of} bytes, at byte ${this.consumed} of the stream)`;
  }

  private take(bytes: number, message: Message): Message {
    this.start += bytes;
    this.consumed += bytes;
    this.partial = null;
    if (this.start === this.end) this.start = this.end = 0;
    return message;
  }

  private atomCount(n: number, where: string, posdata: boolean): number {
    if (n <= 0) this.fail(`${where} announces ${n} atoms; expected a positive count`);
    if (posdata && this.expectAtoms !== undefined && n !== this.expectAtoms) {
      this.fail(`${where} announces ${n} atoms but this client serves ${this.expectAtoms} (from its start structure or --types)`);
    }
    if (n > this.maxAtoms) this.fail(`${where} announces ${n} atoms, more than the limit of ${this.maxAtoms}`);
    return n;
  }

  private stringLength(n: number, where: string): number {
    if (n < 0) this.fail(`${where} has a negative length ${n}`);
    if (n > this.maxStringBytes) this.fail(`${where} length ${n} exceeds the limit of ${this.maxStringBytes} bytes`);
    return n;
  }

  private fail(message: string): never {
    throw new IpiProtocolError(`i-PI protocol: ${message} at byte ${this.consumed} of the stream`);
  }
}

function readDoubles(buf: Buffer, at: number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) out[k] = buf.readDoubleLE(at + 8 * k);
  return out;
}

function writeDoubles(buf: Buffer, at: number, values: ArrayLike<number>): number {
  for (let k = 0; k < values.length; k++) buf.writeDoubleLE(values[k], at + 8 * k);
  return at + 8 * values.length;
}

function writeHeader(buf: Buffer, header: Header): number {
  buf.write(header.padEnd(HEADER_BYTES, ' '), 0, HEADER_BYTES, 'latin1');
  return HEADER_BYTES;
}

/** The bytes of one message. */
export function encodeMessage(message: Message): Buffer {
  switch (message.type) {
    case 'INIT': {
      const text = Buffer.from(message.text, 'utf8');
      const buf = Buffer.alloc(HEADER_BYTES + 8 + text.length);
      let at = writeHeader(buf, 'INIT');
      at = buf.writeInt32LE(message.bead, at);
      at = buf.writeInt32LE(text.length, at);
      text.copy(buf, at);
      return buf;
    }
    case 'POSDATA': {
      if (message.h.length !== 9 || message.hInverse.length !== 9 || message.positions.length % 3 !== 0) {
        throw new Error('POSDATA: expected 9 + 9 cell numbers and 3 numbers per atom');
      }
      const buf = Buffer.alloc(HEADER_BYTES + 148 + 8 * message.positions.length);
      let at = writeHeader(buf, 'POSDATA');
      at = writeDoubles(buf, at, message.h);
      at = writeDoubles(buf, at, message.hInverse);
      at = buf.writeInt32LE(message.positions.length / 3, at);
      writeDoubles(buf, at, message.positions);
      return buf;
    }
    case 'FORCEREADY': {
      if (message.virial.length !== 9 || message.forces.length % 3 !== 0) {
        throw new Error('FORCEREADY: expected 3 force components per atom and 9 virial numbers');
      }
      const extra = Buffer.from(message.extra, 'utf8');
      const buf = Buffer.alloc(HEADER_BYTES + 8 + 4 + 8 * message.forces.length + 72 + 4 + extra.length);
      let at = writeHeader(buf, 'FORCEREADY');
      at = buf.writeDoubleLE(message.energy, at);
      at = buf.writeInt32LE(message.forces.length / 3, at);
      at = writeDoubles(buf, at, message.forces);
      at = writeDoubles(buf, at, message.virial);
      at = buf.writeInt32LE(extra.length, at);
      extra.copy(buf, at);
      return buf;
    }
    default: {
      const buf = Buffer.alloc(HEADER_BYTES);
      writeHeader(buf, message.type);
      return buf;
    }
  }
}
