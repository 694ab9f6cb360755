// Bookkeeping for the reliability corpus (test/reliability/*.test.ts): every
// bad-input case is counted; a "crash" is anything thrown that is not an
// Error (or a case whose process died, which would fail the whole file).
// Each file prints one summary line: "reliability AREA: N cases tried, 0 crashes".
import { afterAll, expect } from 'vitest';

/** Messages of errors the JavaScript engine raises on a bug (reading a property of undefined...). */
export const ENGINE_ERROR = /Cannot read properties of|is not a function|is not iterable|is not defined|Cannot convert undefined|Maximum call stack/;

export class CaseCounter {
  tried = 0;
  crashes = 0;
  constructor(readonly area: string) {
    afterAll(() => {
      console.log(`reliability ${this.area}: ${this.tried} cases tried, ${this.crashes} crashes`);
    });
  }

  private check(error: unknown, message: RegExp, label: string): void {
    this.tried++;
    if (error !== null && !(error instanceof Error)) this.crashes++;
    expect(error, `${label}: expected an Error matching ${message}`).toBeInstanceOf(Error);
    expect((error as Error).message, label).toMatch(message);
    // a JavaScript engine error that happens to contain the expected words is a crash, not a named error
    expect((error as Error).message, `${label}: an engine error`).not.toMatch(ENGINE_ERROR);
  }

  /** `f` throws an Error whose message matches; then `after` (the next valid call) runs. */
  throws(f: () => unknown, message: RegExp, after?: () => void, label = String(message)): Error {
    let error: unknown = null;
    try {
      f();
    } catch (e) {
      error = e;
    }
    this.check(error, message, label);
    after?.();
    return error as Error;
  }

  /** The promise (or the call producing it) rejects with an Error whose message matches. */
  async rejects(f: () => Promise<unknown>, message: RegExp, after?: () => void | Promise<void>, label = String(message)): Promise<Error> {
    let error: unknown = null;
    try {
      await f();
    } catch (e) {
      error = e;
    }
    this.check(error, message, label);
    await after?.();
    return error as Error;
  }

  /** A case that must not fail (an edge case with a defined result). */
  accepts<T>(f: () => T): T {
    this.tried++;
    return f();
  }
}

/**
 * Number of entries that differ bitwise (NaN counts as different). A missing
 * array is never equal to anything, not even another missing one: a result
 * that lost its stress must not compare equal to a reference that lost it too.
 */
export function differences(a: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined): number {
  if (!a || !b) return Infinity;
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let count = 0;
  for (let k = 0; k < a.length; k++) if (!(a[k] === b[k])) count++;
  return count;
}

/** max |a - b| / max(max |b|, tiny). */
export function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1e-300, d = 0;
  for (let k = 0; k < b.length; k++) scale = Math.max(scale, Math.abs(b[k]));
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k] - b[k]));
  return d / scale;
}

/** An array-like that claims `length` entries without storing them ("1e9 atoms"). */
export function hugeArrayLike(length: number, value: number | undefined = undefined): ArrayLike<number> {
  return new Proxy({ length } as ArrayLike<number>, {
    get: (target, key) => (key === 'length' ? length : typeof key === 'string' && /^\d+$/.test(key) ? value : Reflect.get(target, key)),
  });
}
