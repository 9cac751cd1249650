/** A small seeded PRNG (mulberry32) so that a failing case can be replayed from its seed. */
export class Random {
  #state: number;

  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Uniform values in [−scale, scale). */
  floats(count: number, scale = 1): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = (this.next() * 2 - 1) * scale;
    return out;
  }

  /** Standard normal values (Box–Muller). */
  normals(count: number, std = 1): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const u = Math.max(this.next(), 1e-12);
      out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next()) * std;
    }
    return out;
  }

  ints(count: number, max: number): Int32Array {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = Math.floor(this.next() * max);
    return out;
  }
}

/** A fresh seed per test run unless CRIA_TEST_SEED pins one (printed with every failure). */
export function testSeed(): number {
  const pinned = typeof process !== 'undefined' ? process.env?.CRIA_TEST_SEED : undefined;
  return pinned ? Number(pinned) : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
}
