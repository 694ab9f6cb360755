// A seedable pseudo-random generator whose whole state is a few integers and
// one cached number, so checkpoints can store it and a restarted run draws
// exactly the same numbers as an uninterrupted one.
//
// Generator: xoshiro128** (Blackman & Vigna, 2018), 32-bit words so that it is
// exact with JS integer arithmetic (Math.imul, >>> 0). Seeding: splitmix32
// expands one integer into the four state words (never all zero).

export interface RandomState {
  /** The four xoshiro128** words (unsigned 32-bit). */
  words: [number, number, number, number];
  /** Second Box-Muller normal of the last pair, or null. */
  spareNormal: number | null;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  /** `seed`: any integer in [0, 2^32) (larger or negative values are reduced mod 2^32). */
  constructor(seed = 0) {
    if (!Number.isInteger(seed)) throw new Error(`Random: seed must be an integer, got ${String(seed)}`);
    const next = splitmix32(seed);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  static fromState(state: RandomState): Random {
    const words = state?.words;
    if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)) {
      throw new Error('random state: words must be 4 unsigned 32-bit integers');
    }
    if (words.every((w) => w === 0)) throw new Error('random state: words must not all be zero');
    if (state.spareNormal !== null && typeof state.spareNormal !== 'number') {
      throw new Error('random state: spareNormal must be a number or null');
    }
    const r = new Random(0);
    [r.s0, r.s1, r.s2, r.s3] = words;
    r.spare = state.spareNormal;
    return r;
  }

  state(): RandomState {
    return { words: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller; the second value of each pair is cached in the state). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    // 1 - uniform() lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 through the boost Gamma(a+1) U^(1/a). */
  gamma(shape: number): number {
    if (!(shape > 0) || !Number.isFinite(shape)) throw new Error(`Random.gamma: shape must be positive, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(1 - this.uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Sum of the squares of n independent standard normals (chi-squared with n degrees of freedom). */
  chiSquared(n: number): number {
    if (!Number.isInteger(n) || n < 0) throw new Error(`Random.chiSquared: n must be a non-negative integer, got ${n}`);
    if (n === 0) return 0;
    if (n === 1) return this.normal() ** 2;
    return 2 * this.gamma(n / 2);
  }
}
