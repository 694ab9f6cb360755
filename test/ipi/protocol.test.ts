// i-PI protocol: the streaming decoder, and the client against scripted fake
// servers (every message type, awkward splits, coalesced writes, broken peers).
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ForceField, ForceFieldResult } from '../../lib/core/forcefield.js';
import type { System } from '../../lib/core/system.js';
import { main } from '../../lib/cli/main.js';
import {
  CODATA2014,
  encodeMessage,
  HEADERS,
  IpiProtocolError,
  MessageDecoder,
  serveForceField,
  type Message,
  type ServeOptions,
} from '../../lib/ipi/index.js';

const { bohr: BOHR, hartree: HARTREE } = CODATA2014;

// A toy force field that records what it was given and returns a known,
// deliberately non-symmetric virial so transposes show up.
class ToyField implements ForceField {
  seen: System[] = [];
  compute(system: System): ForceFieldResult {
    this.seen.push(system);
    const p = system.positions as Float64Array;
    const n = p.length / 3;
    let energy = 0;
    const forces = new Float64Array(3 * n);
    for (let k = 0; k < 3 * n; k++) {
      energy += 0.5 * p[k] * p[k];
      forces[k] = -p[k];
    }
    return { energy, forces, virial: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
  }
}

const TYPES = [11, 17, 11, 17];
const H = Float64Array.from([10, 1, 2, 0, 11, 3, 0, 0, 12]); // columns are the lattice vectors
const POSITIONS = Float64Array.from([0, 0, 0, 1, 2, 3, 4, 5, 6, 7.5, 8.5, 9.5]);

function posdata(positions = POSITIONS, h = H): Buffer {
  return encodeMessage({ type: 'POSDATA', h, hInverse: new Float64Array(9), positions });
}
const msg = (type: 'STATUS' | 'GETFORCE' | 'EXIT' | 'READY' | 'HAVEDATA' | 'NEEDINIT'): Buffer => encodeMessage({ type });
const init = (bead = 0, text = ''): Buffer => encodeMessage({ type: 'INIT', bead, text });

/** The server side of one connection: await the client's replies one by one. */
class Peer {
  private decoder = new MessageDecoder();
  private queue: Message[] = [];
  private waiters: Array<(m: Message) => void> = [];
  constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.decoder.push(chunk);
      for (let m = this.decoder.next(); m; m = this.decoder.next()) {
        const w = this.waiters.shift();
        if (w) w(m);
        else this.queue.push(m);
      }
    });
    socket.on('error', () => {});
  }
  reply(): Promise<Message> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  async expect(type: Message['type']): Promise<Message> {
    const m = await this.reply();
    expect(m.type).toBe(type);
    return m;
  }
  write(...parts: Buffer[]): void {
    this.socket.write(Buffer.concat(parts));
  }
}

let counter = 0;
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A unix-socket fake server running `script` on the first connection. */
async function fakeServer(script: (peer: Peer) => Promise<void> | void): Promise<{ name: string; done: Promise<void> }> {
  const name = `lodestone-test-${process.pid}-${counter++}`;
  rmSync(`/tmp/ipi_${name}`, { force: true });
  let finished!: (v: void) => void, failed!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => ((finished = res), (failed = rej)));
  const server = createServer((socket) => {
    Promise.resolve(script(new Peer(socket))).then(finished, failed);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(`/tmp/ipi_${name}`, r));
  return { name, done };
}

function serve(name: string, field: ForceField = new ToyField(), extra: Partial<ServeOptions> = {}) {
  return serveForceField(field, { unix: name, types: TYPES, stallTimeout: 2000, ...extra });
}

const tick = (ms = 2): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function writeInPieces(socket: Socket, bytes: Buffer, cuts: number[]): Promise<void> {
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > at) socket.write(bytes.subarray(at, cut));
    at = Math.max(at, cut);
    await tick();
  }
}

describe('message decoder', () => {
  const sequence: Message[] = [
    { type: 'STATUS' },
    { type: 'NEEDINIT' },
    { type: 'INIT', bead: 7, text: 'héllo' },
    { type: 'READY' },
    { type: 'POSDATA', h: H, hInverse: Float64Array.from({ length: 9 }, (_, k) => k / 7), positions: POSITIONS },
    { type: 'HAVEDATA' },
    { type: 'GETFORCE' },
    { type: 'FORCEREADY', energy: -1.25, forces: POSITIONS.map((x) => -x), virial: H, extra: '{"a":1}' },
    { type: 'EXIT' },
  ];
  const stream = Buffer.concat(sequence.map(encodeMessage));

  it('covers every header, in the documented layout', () => {
    expect(new Set(sequence.map((m) => m.type))).toEqual(new Set(HEADERS));
    const bytes = encodeMessage(sequence[4]);
    expect(bytes.subarray(0, 12).toString('latin1')).toBe('POSDATA     ');
    expect(bytes.readDoubleLE(12 + 8)).toBe(1); // h[0][1]
    expect(bytes.readInt32LE(12 + 144)).toBe(4);
    expect(bytes.readDoubleLE(12 + 148 + 8 * 11)).toBe(9.5);
    expect(bytes.length).toBe(12 + 148 + 96);
    const force = encodeMessage(sequence[7]);
    expect(force.readDoubleLE(12)).toBe(-1.25);
    expect(force.readInt32LE(20)).toBe(4);
    expect(force.readInt32LE(24 + 96 + 72)).toBe(7);
    expect(force.subarray(24 + 96 + 76).toString()).toBe('{"a":1}');
  });

  it('decodes the same messages for every way of splitting the stream in two and three', () => {
    for (let a = 0; a <= stream.length; a++) {
      for (const b of [a, Math.min(stream.length, a + 1), Math.min(stream.length, a + 13), stream.length]) {
        const d = new MessageDecoder();
        const got: Message[] = [];
        for (const piece of [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]) {
          d.push(piece);
          for (let m = d.next(); m; m = d.next()) got.push(m);
        }
        expect(got).toEqual(sequence);
        expect(d.pending).toBe(0);
        d.finish();
      }
    }
  });

  it('byte by byte and all at once', () => {
    const d = new MessageDecoder();
    const got: Message[] = [];
    for (const byte of stream) {
      d.push(Buffer.of(byte));
      for (let m = d.next(); m; m = d.next()) got.push(m);
    }
    expect(got).toEqual(sequence);
    const whole = new MessageDecoder();
    whole.push(stream);
    expect(Array.from({ length: sequence.length }, () => whole.next())).toEqual(sequence);
    expect(whole.next()).toBeNull();
  });

  it('keeps a bounded buffer over many messages', () => {
    const d = new MessageDecoder();
    const step = Buffer.concat([msg('STATUS'), posdata(), msg('STATUS'), msg('GETFORCE')]);
    let capacity = 0;
    for (let k = 0; k < 5000; k++) {
      const cut = (k * 37) % step.length;
      d.push(step.subarray(0, cut));
      while (d.next());
      d.push(step.subarray(cut));
      while (d.next());
      if (k === 10) capacity = d.capacity;
    }
    expect(d.pending).toBe(0);
    expect(d.capacity).toBe(capacity);
    expect(d.capacity).toBeLessThanOrEqual(4096);
  });

  it('rejects unknown headers, bad counts and truncation with clear errors', () => {
    const decode = (bytes: Buffer, limits = {}) => {
      const d = new MessageDecoder(limits);
      d.push(bytes);
      while (d.next());
      return d;
    };
    expect(() => decode(Buffer.from('HELLO WORLD!'))).toThrow(/unknown message header "HELLO WORLD!" \(hex 48 45 4c/);
    expect(() => decode(Buffer.from('status      '))).toThrow(IpiProtocolError);
    expect(() => decode(Buffer.from('STAT\0'))).toThrow(/invalid message header "STAT\\u0000"/);
    expect(() => decode(Buffer.concat([msg('STATUS'), Buffer.from('GARBAGE!')]))).toThrow(/at byte 12 of the stream/);
    const huge = posdata();
    huge.writeInt32LE(2 ** 31 - 1, 12 + 144);
    expect(() => decode(huge.subarray(0, 12 + 148))).toThrow(/POSDATA announces 2147483647 atoms, more than the limit/);
    huge.writeInt32LE(-5, 12 + 144);
    expect(() => decode(huge)).toThrow(/POSDATA announces -5 atoms; expected a positive count/);
    expect(() => decode(posdata(), { expectAtoms: 64 })).toThrow(/POSDATA announces 4 atoms but this client serves 64/);
    const badInit = init(0, 'abc');
    badInit.writeInt32LE(-1, 16);
    expect(() => decode(badInit)).toThrow(/INIT string has a negative length -1/);
    badInit.writeInt32LE(2 ** 30, 16);
    expect(() => decode(badInit)).toThrow(/INIT string length 1073741824 exceeds the limit/);
    const partial = decode(Buffer.concat([msg('STATUS'), posdata().subarray(0, 100)]));
    expect(() => partial.finish()).toThrow(/closed in the middle of a POSDATA message \(100 of at least 160 bytes, at byte 12 of the stream\)/);
    expect(() => decode(Buffer.from('STA')).finish()).toThrow(/middle of a message header \(3 of 12 bytes/);
  });
});

describe('client against a scripted server', () => {
  it('answers every message: NEEDINIT, INIT, READY, POSDATA, HAVEDATA, GETFORCE, FORCEREADY, EXIT', async () => {
    const field = new ToyField();
    let reply: Extract<Message, { type: 'FORCEREADY' }> | undefined;
    const { name, done } = await fakeServer(async (peer) => {
      peer.write(msg('STATUS'));
      await peer.expect('NEEDINIT');
      peer.write(init(3, 'params'));
      peer.write(msg('STATUS'));
      await peer.expect('READY');
      peer.write(posdata());
      peer.write(msg('STATUS'));
      await peer.expect('HAVEDATA');
      peer.write(msg('GETFORCE'));
      reply = (await peer.expect('FORCEREADY')) as typeof reply;
      peer.write(msg('STATUS'));
      await peer.expect('READY');
      peer.write(msg('EXIT'));
    });
    const steps: number[] = [];
    const summary = await serve(name, field, { onStep: (s) => steps.push(s.step) });
    await done;
    expect(summary).toMatchObject({ steps: 1, end: 'exit', bead: 3 });
    expect(steps).toEqual([0]);
    // What the force field saw: A, cell rows = lattice vectors = columns of h.
    const seen = field.seen[0];
    expect(Array.from(seen.cell as Float64Array)).toEqual([10, 0, 0, 1, 11, 0, 2, 3, 12].map((x) => x * BOHR));
    expect(Array.from(seen.positions as Float64Array)).toEqual(Array.from(POSITIONS, (x) => x * BOHR));
    expect(Array.from(seen.types)).toEqual(TYPES);
    expect(seen.pbc).toEqual([true, true, true]);
    // What the server got back: atomic units, virial transposed.
    const energyEv = Array.from(POSITIONS).reduce((s, x) => s + 0.5 * (x * BOHR) ** 2, 0);
    expect(reply!.energy).toBeCloseTo(energyEv / HARTREE, 14);
    reply!.forces.forEach((f, k) => expect(f).toBeCloseTo((-POSITIONS[k] * BOHR * BOHR) / HARTREE, 14));
    expect(Array.from(reply!.virial)).toEqual([1, 4, 7, 2, 5, 8, 3, 6, 9].map((x) => x / HARTREE));
    expect(reply!.extra).toBe(''); // ASE 3.22 cannot take more than one byte here
  });

  it('sends extras as JSON when asked (for i-PI)', async () => {
    let extra = '';
    const { name, done } = await fakeServer(async (peer) => {
      peer.write(init(), posdata(), msg('GETFORCE'));
      extra = ((await peer.expect('FORCEREADY')) as Extract<Message, { type: 'FORCEREADY' }>).extra;
      peer.write(msg('EXIT'));
    });
    await serve(name, undefined, { extras: (result) => ({ energy_ev: result.energy }) });
    await done;
    expect(JSON.parse(extra)).toEqual({ energy_ev: Array.from(POSITIONS).reduce((s, x) => s + 0.5 * (x * BOHR) ** 2, 0) });
  });

  it('handles messages split at awkward byte boundaries', async () => {
    const { name, done } = await fakeServer(async (peer) => {
      await writeInPieces(peer.socket, msg('STATUS'), [1, 5, 11]);
      await peer.expect('NEEDINIT');
      await writeInPieces(peer.socket, Buffer.concat([init(1, 'x'), msg('STATUS')]), [12, 13, 16, 19, 21, 23]);
      await peer.expect('READY');
      // cuts inside the header, the cell, the count and a float
      await writeInPieces(peer.socket, Buffer.concat([posdata(), msg('STATUS')]), [7, 12, 13, 83, 155, 157, 160, 165, 255, 256, 260]);
      await peer.expect('HAVEDATA');
      await writeInPieces(peer.socket, msg('GETFORCE'), [11]);
      await peer.expect('FORCEREADY');
      await writeInPieces(peer.socket, msg('EXIT'), [3, 4]);
    });
    const summary = await serve(name);
    await done;
    expect(summary).toMatchObject({ steps: 1, end: 'exit', bead: 1 });
  });

  it('handles many messages coalesced into one write (i-PI >= 3.2 style)', async () => {
    const { name, done } = await fakeServer(async (peer) => {
      peer.write(msg('STATUS'), init(0), msg('STATUS'), posdata(), msg('STATUS'), msg('GETFORCE'), msg('STATUS'), posdata(), msg('GETFORCE'), msg('EXIT'));
      for (const t of ['NEEDINIT', 'READY', 'HAVEDATA', 'FORCEREADY', 'READY', 'FORCEREADY'] as const) await peer.expect(t);
    });
    const summary = await serve(name);
    await done;
    expect(summary).toMatchObject({ steps: 2, end: 'exit' });
  });

  it('resolves when the server just closes between messages (as ASE does)', async () => {
    const { name, done } = await fakeServer(async (peer) => {
      peer.write(msg('STATUS'));
      await peer.expect('NEEDINIT');
      peer.write(init(), posdata(), msg('STATUS'));
      await peer.expect('HAVEDATA');
      peer.write(msg('GETFORCE'));
      await peer.expect('FORCEREADY');
      peer.socket.end();
    });
    expect(await serve(name)).toMatchObject({ steps: 1, end: 'close' });
    await done;
  });

  it('a disconnect before INIT ends cleanly with 0 steps; a disconnect inside the first header is an error', async () => {
    const a = await fakeServer((peer) => void peer.socket.end());
    expect(await serve(a.name)).toMatchObject({ steps: 0, end: 'close', bead: null });
    const b = await fakeServer((peer) => void peer.socket.end(Buffer.from('STAT')));
    await expect(serve(b.name)).rejects.toThrow(/closed in the middle of a message header \(4 of 12 bytes/);
  });

  it('a close in the middle of POSDATA rejects, naming the message and the bytes received', async () => {
    const { name } = await fakeServer(async (peer) => {
      peer.write(msg('STATUS'));
      await peer.expect('NEEDINIT');
      peer.socket.end(Buffer.concat([init(), posdata().subarray(0, 200)]));
    });
    await expect(serve(name)).rejects.toThrow(/ipi_lodestone-test-.*closed in the middle of a POSDATA message \(200 of 256 bytes, at byte 32/);
  });

  const brokenServers: Array<[string, Buffer, RegExp]> = [
    ['garbage', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /unknown message header "GET \/ HTTP\/1"/],
    ['huge N', (() => { const b = posdata(); b.writeInt32LE(2 ** 31 - 1, 156); return b.subarray(0, 160); })(), /POSDATA announces 2147483647 atoms but this client serves 4/],
    ['wrong N', posdata(POSITIONS.subarray(0, 9)), /POSDATA announces 3 atoms but this client serves 4/],
    ['negative INIT length', (() => { const b = init(0, 'abcd'); b.writeInt32LE(-7, 16); return b; })(), /INIT string has a negative length -7/],
    ['a client-only message', msg('HAVEDATA'), /the server sent HAVEDATA, a message only clients send/],
    ['GETFORCE first', msg('GETFORCE'), /GETFORCE arrived before any POSDATA/],
    ['NaN positions', posdata(Float64Array.from(POSITIONS, (x, k) => (k === 4 ? NaN : x))), /POSDATA: position component 4 is NaN/],
  ];
  for (const [what, bytes, error] of brokenServers) {
    it(`a server sending ${what} ends the client with an error at once (connection left open)`, async () => {
      const { name } = await fakeServer((peer) => void peer.write(bytes));
      const t0 = performance.now();
      await expect(serve(name)).rejects.toThrow(error);
      expect(performance.now() - t0).toBeLessThan(1500); // well before the 2 s stall timeout
    });
  }

  it('a server stalling mid-message ends the client after the stall timeout', async () => {
    const { name } = await fakeServer((peer) => void peer.write(posdata().subarray(0, 50)));
    await expect(serve(name, undefined, { stallTimeout: 200 })).rejects.toThrow(/stalled for 0.2 s in the middle of a POSDATA message \(50 of at least 160 bytes/);
  });

  it('force-field failures reject with the step', async () => {
    const failing: ForceField = { compute: () => { throw new Error('types[2]: atomic number 8 is unknown to this model'); } };
    const { name } = await fakeServer((peer) => void peer.write(init(), posdata()));
    await expect(serve(name, failing)).rejects.toThrow(/step 0: the force field failed: types\[2\]: atomic number 8/);
  });

  it('serves many steps with a constant receive buffer', async () => {
    const STEPS = 3000;
    const { name, done } = await fakeServer(async (peer) => {
      peer.write(msg('STATUS'));
      await peer.expect('NEEDINIT');
      peer.write(init());
      for (let k = 0; k < STEPS; k++) {
        const p = Float64Array.from(POSITIONS, (x) => x + 0.001 * k);
        peer.write(msg('STATUS'), posdata(p), msg('STATUS'));
        await peer.expect('READY');
        await peer.expect('HAVEDATA');
        peer.write(msg('GETFORCE'));
        await peer.expect('FORCEREADY');
      }
      peer.write(msg('EXIT'));
    });
    const buffers: number[] = [];
    const field = new ToyField();
    const summary = await serve(name, { compute: (s) => field.compute(s) }, { onStep: (s) => buffers.push(s.bufferBytes) });
    await done;
    expect(summary).toMatchObject({ steps: STEPS, end: 'exit' });
    expect(Math.max(...buffers)).toBe(buffers[0]);
    expect(buffers[0]).toBeLessThanOrEqual(4096);
    expect(field.seen[STEPS - 1].positions[0]).toBeCloseTo(0.001 * (STEPS - 1) * BOHR, 12);
  });

  it('speaks TCP and waits for a server that starts late', async () => {
    const server = createServer(async (socket) => {
      const peer = new Peer(socket);
      peer.write(msg('STATUS'));
      await peer.expect('NEEDINIT');
      peer.write(init(), posdata(), msg('STATUS'));
      await peer.expect('HAVEDATA');
      peer.write(msg('GETFORCE'));
      await peer.expect('FORCEREADY');
      peer.write(msg('EXIT'));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    expect(await serveForceField(new ToyField(), { host: '127.0.0.1', port, types: TYPES })).toMatchObject({ steps: 1, end: 'exit' });

    const name = `lodestone-test-${process.pid}-late`;
    rmSync(`/tmp/ipi_${name}`, { force: true });
    const late = createServer((socket) => void socket.end(msg('EXIT')));
    servers.push(late);
    setTimeout(() => late.listen(`/tmp/ipi_${name}`), 300);
    expect(await serveForceField(new ToyField(), { unix: name, types: TYPES, connectTimeout: 5000 })).toMatchObject({ end: 'exit' });
    await expect(serveForceField(new ToyField(), { unix: `${name}-missing`, types: TYPES })).rejects.toThrow(
      /cannot connect to unix socket \/tmp\/ipi_lodestone-test-.*-missing/,
    );
  });

  it('validates its options and aborts on request', async () => {
    await expect(serveForceField(new ToyField(), { types: TYPES })).rejects.toThrow(/either `unix`/);
    await expect(serveForceField(new ToyField(), { unix: 'a/b', types: TYPES })).rejects.toThrow(/without '\/'/);
    await expect(serveForceField(new ToyField(), { port: 70000, types: TYPES })).rejects.toThrow(/port must be/);
    await expect(serveForceField(new ToyField(), { unix: 'x', types: [] })).rejects.toThrow(/^serveForceField: `types` must list the atomic number of every atom$/);
    const { name } = await fakeServer(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(serve(name, undefined, { signal: controller.signal })).rejects.toThrow(/aborted/);
  });
});

describe('lodestone ipi CLI', () => {
  it('has --help and checks its arguments', async () => {
    const lines: string[] = [];
    const log = console.log, error = console.error;
    console.log = (s: string) => void lines.push(s);
    console.error = (s: string) => void lines.push(s);
    try {
      expect(await main(['ipi', '--help'])).toBe(0);
      expect(lines.join('\n')).toMatch(/Usage: lodestone ipi --model MODEL/);
      expect(lines.join('\n')).toMatch(/--unix NAME/);
      lines.length = 0;
      expect(await main(['ipi', '--model', 'm.lsm', '--unix', 'x'])).toBe(1);
      expect(lines.join('\n')).toMatch(/--structure START.xyz or --types LIST/);
      lines.length = 0;
      expect(await main(['ipi', '--model', 'm.lsm', '--types', 'Na,Qq'])).toBe(1);
      expect(lines.join('\n')).toMatch(/unknown element "Qq"/);
      lines.length = 0;
      expect(await main(['--help'])).toBe(0);
      expect(lines.join('\n')).toMatch(/ipi\s+Serve a model to i-PI or ASE/);
    } finally {
      console.log = log;
      console.error = error;
    }
  });

  it('parses --types lists', async () => {
    const { parseTypes } = await import('../../lib/cli/commands/ipi.js');
    expect(parseTypes('Na,Cl,17')).toEqual([11, 17, 17]);
    expect(parseTypes('Nax2, Clx3')).toEqual([11, 11, 17, 17, 17]);
  });
});
