// The fit's solver (native NormalEquations: batched rank-k updates of the
// upper triangle, a blocked Cholesky) against a plain dense solve
// written here, on random weighted problems of both shapes: more rows than
// parameters, and fewer (only the regularisation makes those solvable).
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/native/addon.js';
import type { NativeNormalEquations } from '../../lib/native/types.js';
import { rng } from '../support/random-systems.js';

/** Gaussian elimination with partial pivoting: x = A^-1 b for a dense n x n row-major A. */
function denseSolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i * n + k]) > Math.abs(m[pivot * n + k])) pivot = i;
    for (let j = 0; j < n; j++) [m[k * n + j], m[pivot * n + j]] = [m[pivot * n + j], m[k * n + j]];
    [x[k], x[pivot]] = [x[pivot], x[k]];
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k] / m[k * n + k];
      for (let j = k; j < n; j++) m[i * n + j] -= f * m[k * n + j];
      x[i] -= f * x[k];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let j = i + 1; j < n; j++) s -= m[i * n + j] * x[j];
    x[i] = s / m[i * n + i];
  }
  return x;
}

interface Problem {
  rows: Float64Array;
  targets: Float64Array;
  weights: Float64Array;
  count: number;
  n: number;
}

function randomProblem(seed: number, count: number, n: number): Problem {
  const random = rng(seed);
  // Columns of different sizes, as feature blocks and biases have.
  const columnScale = Float64Array.from({ length: n }, () => 10 ** (2 * random() - 1));
  const rows = Float64Array.from({ length: count * n }, (_, k) => (random() - 0.5) * columnScale[k % n]);
  return {
    rows,
    targets: Float64Array.from({ length: count }, () => 10 * (random() - 0.5)),
    weights: Float64Array.from({ length: count }, () => 0.01 + random()),
    count,
    n,
  };
}

/** A^T W A and A^T W y, summed row by row. */
function normalMatrix(p: Problem): { ata: Float64Array; atb: Float64Array } {
  const { rows, targets, weights, count, n } = p;
  const ata = new Float64Array(n * n);
  const atb = new Float64Array(n);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < n; i++) {
      const wi = weights[r] * rows[r * n + i];
      atb[i] += wi * targets[r];
      for (let j = 0; j < n; j++) ata[i * n + j] += wi * rows[r * n + j];
    }
  }
  return { ata, atb };
}

/** Adds the problem in uneven chunks, so the native row buffer fills and flushes at odd places. */
function accumulate(p: Problem): NativeNormalEquations {
  const equations = new native.NormalEquations(p.n);
  for (let start = 0, chunk = 1; start < p.count; start += chunk, chunk = (chunk * 7) % 97 + 1) {
    const end = Math.min(p.count, start + chunk);
    equations.add(p.rows.slice(start * p.n, end * p.n), p.targets.slice(start, end), p.weights.slice(start, end));
  }
  return equations;
}

function relativeDifference(a: Float64Array, b: Float64Array): number {
  let num = 0, den = 0;
  for (let k = 0; k < a.length; k++) {
    num += (a[k] - b[k]) ** 2;
    den += b[k] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('normal equations and ridge path: solvers against a dense direct solve', () => {
  // Primal shape (rows > parameters, past the native batch of 512 rows) and
  // dual shape (rows < parameters: solvable only through the regularisation).
  // In the dual shape A^T W A is singular and the condition number of the
  // regularised system grows as 1/lambda: a backward-stable solve is
  // accurate to about 1e-16 / lambda there, so the smallest candidate is 1e-5.
  // 600 parameters span several panels of the native blocked Cholesky (256).
  const shapes = [[1300, 37, [1e-8, 1e-4, 1e-1]], [40, 90, [1e-5, 1e-3, 1e-1]], [1400, 600, [1e-8, 1e-3]], [300, 600, [1e-5, 1e-2]]] as const;
  for (const [count, n, lambdas] of shapes) {
    const p = randomProblem(count * 31 + n, count, n);
    const { ata, atb } = normalMatrix(p);
    const equations = accumulate(p);

    for (const lambda of lambdas) {
      it(`${count} rows x ${n} parameters, relative regularisation ${lambda}`, () => {
        // R = diag(A^T W A), each entry at least the mean diagonal.
        let mean = 0;
        for (let i = 0; i < n; i++) mean += ata[i * n + i] / n;
        const a = Float64Array.from(ata);
        for (let i = 0; i < n; i++) a[i * n + i] += lambda * Math.max(ata[i * n + i], mean);
        const expected = denseSolve(a, atb, n);
        expect(relativeDifference(equations.solve(lambda, 'relative'), expected)).toBeLessThan(1e-10);
      });

      it(`${count} rows x ${n} parameters: the ridge path (one eigendecomposition) solves the same problem at ${lambda}`, () => {
        // Unit weights, as RidgePath takes its rows: W^(1/2) folded into rows and targets.
        const root = p.weights.map(Math.sqrt);
        const rows = p.rows.map((v, k) => v * root[Math.floor(k / n)]);
        const targets = p.targets.map((v, r) => v * root[r]);
        const path = new native.RidgePath(rows, targets);
        let mean = 0;
        for (let i = 0; i < n; i++) mean += ata[i * n + i] / n;
        const a = Float64Array.from(ata);
        for (let i = 0; i < n; i++) a[i * n + i] += lambda * Math.max(ata[i * n + i], mean);
        expect(relativeDifference(path.solve(lambda), denseSolve(a, atb, n))).toBeLessThan(1e-10);
      });

      it(`${count} rows x ${n} parameters, absolute and matrix regularisation ${lambda}`, () => {
        // An absolute lambda of the same size relative to the matrix: lambda times its mean diagonal.
        let meanDiagonal = 0;
        for (let i = 0; i < n; i++) meanDiagonal += ata[i * n + i] / n;
        const absolute = Float64Array.from(ata);
        for (let i = 0; i < n; i++) absolute[i * n + i] += lambda * meanDiagonal;
        expect(relativeDifference(equations.solve(lambda * meanDiagonal, 'absolute'), denseSolve(absolute, atb, n))).toBeLessThan(1e-10);

        // R = B^T B (positive semi-definite), scaled by trace(A^T W A) / trace(R).
        const random = rng(n);
        const b = Float64Array.from({ length: n * n }, () => random() - 0.5);
        const r = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) r[i * n + j] += b[k * n + i] * b[k * n + j];
        let traceA = 0, traceR = 0;
        for (let i = 0; i < n; i++) {
          traceA += ata[i * n + i];
          traceR += r[i * n + i];
        }
        const scaled = Float64Array.from(ata, (v, k) => v + ((lambda * traceA) / traceR) * r[k]);
        expect(relativeDifference(equations.solve(lambda, r), denseSolve(scaled, atb, n))).toBeLessThan(1e-10);
      });
    }

    it(`${count} rows x ${n} parameters: a block solved with the other parameters held fixed`, () => {
      // Parameters [begin, end) free, the rest at random values: the block's
      // own normal equations with the fixed part moved to the right-hand side.
      const begin = Math.floor(n / 3), end = n - 5, m = end - begin;
      const random = rng(count + n);
      const fixed = Float64Array.from({ length: n }, () => random() - 0.5);
      const h = new Float64Array(m * m);
      const rhs = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        rhs[i] = atb[begin + i];
        for (let j = 0; j < n; j++) if (j < begin || j >= end) rhs[i] -= ata[(begin + i) * n + j] * fixed[j];
        for (let j = 0; j < m; j++) h[i * m + j] = ata[(begin + i) * n + begin + j];
      }
      let mean = 0;
      for (let i = 0; i < m; i++) mean += h[i * m + i] / m;
      const lambda = 1e-3;
      const a = Float64Array.from(h);
      for (let i = 0; i < m; i++) a[i * m + i] += lambda * Math.max(h[i * m + i], mean);
      const solved = equations.solve(lambda, 'relative', { begin, end, fixed });
      expect(solved.length).toBe(n);
      expect(relativeDifference(solved.subarray(begin, end), denseSolve(a, rhs, m))).toBeLessThan(1e-10);
      for (let j = 0; j < n; j++) if (j < begin || j >= end) expect(solved[j]).toBe(fixed[j]);
      // Without fixed values the others are zero, and a whole-range block is the plain solve.
      const zero = equations.solve(lambda, 'relative', { begin, end });
      expect(Array.from(zero.subarray(0, begin)).every((v) => v === 0)).toBe(true);
      expect(relativeDifference(equations.solve(lambda, 'relative', { begin: 0, end: n }), equations.solve(lambda, 'relative'))).toBe(0);
      expect(() => equations.solve(lambda, 'relative', { begin: 3, end: 3 })).toThrow(/block \[3, 3\) must be non-empty/);
      expect(() => equations.solve(lambda, 'relative', { begin, end, fixed: new Float64Array(2) })).toThrow(`expected ${n} fixed parameter values, got 2`);
      expect(() => equations.solve(lambda, new Float64Array(n * n), { begin, end })).toThrow(`expected a ${m} x ${m} matrix`);
    });

    it(`${count} rows x ${n} parameters: any set of columns is the fit of a model with only those columns`, () => {
      // Every third parameter and the last: the same rows without the other
      // columns, accumulated on their own, give the same solution.
      const columns = Int32Array.from({ length: n }, (_, j) => j).filter((j) => j % 3 === 0 || j === n - 1);
      const m = columns.length;
      const narrow = accumulate({ ...p, n: m, rows: Float64Array.from({ length: count * m }, (_, k) => p.rows[Math.floor(k / m) * n + columns[k % m]]) });
      const lambda = 1e-3;
      const solved = equations.solve(lambda, 'relative', { columns });
      expect(solved.length).toBe(n);
      expect(relativeDifference(Float64Array.from(columns, (j) => solved[j]), narrow.solve(lambda, 'relative'))).toBeLessThan(1e-10);
      expect(solved.filter((_, j) => !columns.includes(j)).every((v) => v === 0)).toBe(true);
      // A contiguous set is the block solve, fixed values and all.
      const random = rng(n + 1);
      const fixed = Float64Array.from({ length: n }, () => random() - 0.5);
      const block = Int32Array.from({ length: n - 7 }, (_, k) => k + 2);
      expect(relativeDifference(equations.solve(lambda, 'relative', { columns: block, fixed }), equations.solve(lambda, 'relative', { begin: 2, end: n - 5, fixed }))).toBeLessThan(1e-14);
      narrow.release();
      expect(() => equations.solve(lambda, 'relative', { columns: Int32Array.of(2, 1) })).toThrow(/strictly increasing indices below/);
      expect(() => equations.solve(lambda, 'relative', { columns: Int32Array.of(0, n) })).toThrow(/strictly increasing indices below/);
      expect(() => equations.solve(lambda, 'relative', { columns: new Int32Array(0) })).toThrow(/at least one parameter/);
      expect(() => equations.solve(lambda, 'relative', { columns: Int32Array.of(-1, 0) })).toThrow(/expected an index >= 0/);
      expect(() => equations.solve(lambda, 'relative', { columns: [0, 1] as unknown as Int32Array })).toThrow(/expected an Int32Array/);
    });

    it(`${count} rows x ${n} parameters: residual and merge match the rows`, () => {
      const x = equations.solve(1e-3, 'relative');
      let expected = 0;
      for (let r = 0; r < count; r++) {
        let e = -p.targets[r];
        for (let j = 0; j < n; j++) e += p.rows[r * n + j] * x[j];
        expected += p.weights[r] * e * e;
      }
      expect(Math.abs(equations.residual(x) - expected)).toBeLessThan(1e-9 * expected);
      // Two halves merged give the same system as the whole.
      const half = Math.floor(count / 2);
      const first = accumulate({ ...p, rows: p.rows.slice(0, half * n), targets: p.targets.slice(0, half), weights: p.weights.slice(0, half), count: half });
      const second = accumulate({
        ...p,
        rows: p.rows.slice(half * n),
        targets: p.targets.slice(half),
        weights: p.weights.slice(half),
        count: count - half,
      });
      first.merge(second);
      expect(first.rows).toBe(count);
      expect(relativeDifference(first.solve(1e-3, 'relative'), x)).toBeLessThan(1e-10);
    });
  }

  it('rejects bad regularisations and non-finite targets', () => {
    const equations = new native.NormalEquations(3);
    equations.add(Float64Array.of(1, 1, 0), Float64Array.of(1));
    expect(() => equations.solve(-1, 'relative')).toThrow(/regularisation must be a finite number >= 0, got -1/);
    expect(() => equations.solve(1e-3, 'other' as 'relative')).toThrow(/regulariser: expected 'relative', 'absolute' or a Float64Array/);
    expect(() => equations.solve(1e-3, new Float64Array(4))).toThrow(/regulariser: expected a 3 x 3 matrix/);
    expect(() => equations.add(Float64Array.of(1, 2, 3), Float64Array.of(Number.NaN))).toThrow(/not a finite number/);
  });
});

describe('ridge path: bad input', () => {
  it('rejects rows that do not match the targets and non-finite values', () => {
    expect(() => new native.RidgePath(new Float64Array(7), new Float64Array(2))).toThrow(/rows: expected count x parameters numbers for 2 targets, got 7/);
    expect(() => new native.RidgePath(Float64Array.of(1, NaN), Float64Array.of(1))).toThrow(/must be finite/);
    expect(() => new native.RidgePath(Float64Array.of(1, 2), Float64Array.of(1)).solve(-1)).toThrow(/regularisation must be a finite number >= 0/);
  });
});
