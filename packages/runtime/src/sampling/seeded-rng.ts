/**
 * mulberry32: a 32-bit-state generator, plenty for choosing among a few thousand candidates, and
 * the same sequence on every platform, so the same seed gives the same text.
 */
export class SeededRng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** A seed for requests that give none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}
