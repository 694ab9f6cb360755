// Bounded mutation fuzzing of the i-PI MessageDecoder: valid message streams
// are split at random points, bytes flipped, truncated, and length/count
// fields replaced by huge or negative values. Whatever the bytes, the decoder
// returns messages or throws its IpiProtocolError; its buffer stays bounded
// by the bytes pushed (it never allocates from an announced length), and
// every call returns promptly (a fixed number of iterations, no hang).
import { describe, expect, it } from 'vitest';
import { encodeIpiMessage, IpiMessageDecoder, IpiProtocolError, type IpiMessage } from '../../lib/index.js';
import { CaseCounter } from '../support/reliability.js';
import { rng } from '../support/random-systems.js';

const counter = new CaseCounter('i-PI decoder fuzzing');
const ITERATIONS = 20_000;

function seedMessages(random: () => number): IpiMessage[] {
  const n = 1 + Math.floor(random() * 5);
  const positions = Float64Array.from({ length: 3 * n }, () => random() * 20 - 10);
  const h = Float64Array.from({ length: 9 }, (_, k) => (k % 4 === 0 ? 20 : 0));
  return [
    { type: 'STATUS' },
    { type: 'INIT', bead: 0, text: random() < 0.5 ? '' : '{"a": 1}' },
    { type: 'READY' },
    { type: 'POSDATA', h, hInverse: h.map((v) => (v ? 1 / v : 0)), positions },
    { type: 'GETFORCE' },
    { type: 'FORCEREADY', energy: -1.5, forces: positions.map((v) => -v), virial: new Float64Array(9), extra: random() < 0.5 ? '' : 'extra' },
    { type: 'HAVEDATA' },
    { type: 'NEEDINIT' },
    { type: 'EXIT' },
  ];
}

/** Offsets of int32 length/count fields in an encoded message (for targeted corruption). */
function countFields(message: IpiMessage, bytes: Buffer): number[] {
  switch (message.type) {
    case 'INIT':
      return [12, 16];
    case 'POSDATA':
      return [12 + 144];
    case 'FORCEREADY':
      return [20, bytes.length - 4 - Buffer.byteLength(message.extra)];
    default:
      return [];
  }
}

const HUGE = [0x7fffffff, 0x7ffffffe, 0x40000000, 10_000_001, 16 * 1024 * 1024 + 1, -1, -0x80000000, 0, 1e6];

function mutate(random: () => number): { bytes: Buffer; mutated: boolean } {
  const all = seedMessages(random);
  const picked = Array.from({ length: 1 + Math.floor(random() * 6) }, () => all[Math.floor(random() * all.length)]);
  const parts = picked.map((m) => ({ m, b: Buffer.from(encodeIpiMessage(m)) }));
  let mutated = false;
  const kinds = Math.floor(random() * 4);
  for (let s = 0; s < kinds; s++) {
    const part = parts[Math.floor(random() * parts.length)];
    const kind = Math.floor(random() * 5);
    if (kind === 0 && part.b.length) {
      part.b[Math.floor(random() * part.b.length)] ^= 1 << Math.floor(random() * 8); // bit flip
    } else if (kind === 1 && part.b.length) {
      part.b[Math.floor(random() * part.b.length)] = Math.floor(random() * 256); // byte replaced
    } else if (kind === 2) {
      const fields = countFields(part.m, part.b).filter((at) => at >= 0 && at + 4 <= part.b.length);
      if (fields.length) part.b.writeInt32LE(HUGE[Math.floor(random() * HUGE.length)] | 0, fields[Math.floor(random() * fields.length)]);
    } else if (kind === 3) {
      part.b = part.b.subarray(0, Math.floor(random() * part.b.length)); // truncated message
    } else {
      part.b = Buffer.concat([part.b, Buffer.from(Array.from({ length: 1 + Math.floor(random() * 16) }, () => Math.floor(random() * 256)))]);
    }
    mutated = true;
  }
  return { bytes: Buffer.concat(parts.map((p) => p.b)), mutated };
}

describe('i-PI MessageDecoder fuzzing', () => {
  it(`${ITERATIONS} mutated streams, randomly split: messages or IpiProtocolError, bounded buffer`, () => {
    const random = rng(7_2026);
    const outcomes = { clean: 0, protocolErrors: 0, incomplete: 0, messages: 0 };
    let maxCapacityRatio = 0;
    for (let k = 0; k < ITERATIONS; k++) {
      const { bytes } = mutate(random);
      const limits = random() < 0.3 ? { maxAtoms: 1000, maxStringBytes: 4096 } : {};
      const decoder = new IpiMessageDecoder(limits);
      counter.tried++;
      let at = 0;
      try {
        while (at < bytes.length) {
          const size = random() < 0.2 ? 1 : 1 + Math.floor(random() * 64);
          decoder.push(bytes.subarray(at, at + size));
          at += size;
          for (let guard = 0; ; guard++) {
            if (guard > bytes.length + 1) throw new Error(`iteration ${k}: next() keeps returning messages without consuming bytes`);
            const message = decoder.next();
            if (message === null) break;
            outcomes.messages++;
            if (message.type === 'POSDATA') expect(message.positions.length % 3).toBe(0);
            if (message.type === 'FORCEREADY') expect(message.forces.length % 3).toBe(0);
          }
          // never allocates for what a header announces, only for what arrived
          expect(decoder.capacity).toBeLessThanOrEqual(Math.max(4096, 2 * (decoder.pending + 64)));
          maxCapacityRatio = Math.max(maxCapacityRatio, decoder.capacity / Math.max(4096, bytes.length));
        }
        try {
          decoder.finish();
          outcomes.clean++;
        } catch (e) {
          if (!(e instanceof IpiProtocolError)) throw e;
          expect(e.message).toMatch(/connection closed in the middle of/);
          outcomes.incomplete++;
        }
      } catch (e) {
        if (!(e instanceof IpiProtocolError)) {
          counter.crashes++;
          throw new Error(`iteration ${k}: unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\nstream (hex): ${bytes.subarray(0, 200).toString('hex')}`);
        }
        expect(e.message).toMatch(/^i-PI protocol: .* at byte \d+ of the stream$|connection closed in the middle of/);
        outcomes.protocolErrors++;
      }
    }
    console.log(`i-PI decoder fuzzing: ${ITERATIONS} streams, ${outcomes.messages} messages decoded, ${outcomes.clean} clean ends, ${outcomes.incomplete} truncated, ${outcomes.protocolErrors} protocol errors`);
    expect(counter.crashes).toBe(0);
    // every outcome occurs, or the mutations are not exercising the decoder
    expect(outcomes.clean).toBeGreaterThan(ITERATIONS / 20);
    expect(outcomes.incomplete).toBeGreaterThan(ITERATIONS / 50);
    expect(outcomes.protocolErrors).toBeGreaterThan(ITERATIONS / 20);
    expect(maxCapacityRatio).toBeLessThan(4);
  });

  it('huge announced sizes are refused as soon as the count arrives (nothing is allocated for them)', () => {
    const posdata = Buffer.from(encodeIpiMessage({ type: 'POSDATA', h: new Float64Array(9), hInverse: new Float64Array(9), positions: new Float64Array(3) }));
    for (const n of [0x7fffffff, 10_000_001]) {
      const b = Buffer.from(posdata.subarray(0, 12 + 148));
      b.writeInt32LE(n, 12 + 144);
      const decoder = new IpiMessageDecoder();
      decoder.push(b);
      counter.throws(() => decoder.next(), /POSDATA announces \d+ atoms, more than the limit of 10000000/);
      expect(decoder.capacity).toBe(4096);
    }
    // a large but allowed count waits for the bytes without allocating for them
    const b = Buffer.from(posdata.subarray(0, 12 + 148));
    b.writeInt32LE(9_999_999, 12 + 144);
    const decoder = new IpiMessageDecoder();
    decoder.push(b);
    expect(counter.accepts(() => decoder.next())).toBeNull();
    expect(decoder.capacity).toBe(4096);
    counter.throws(() => decoder.finish(), /connection closed in the middle of a POSDATA message \(160 of 240000136 bytes/);
    const init = Buffer.from(encodeIpiMessage({ type: 'INIT', bead: 0, text: 'abc' }));
    init.writeInt32LE(0x7fffffff, 16);
    const d2 = new IpiMessageDecoder();
    d2.push(init);
    counter.throws(() => d2.next(), /INIT string length 2147483647 exceeds the limit of 16777216 bytes/);
  });
});
