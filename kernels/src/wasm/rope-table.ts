import type { RopeStyle } from '../ops.js';

/**
 * The cos/sin table `rope` reads, one row per token, computed in f64 exactly as the reference does
 * (angle = position · θ^(−2i/D), or position · inverseFrequencies[i] with rope scaling), so positions in the thousands lose nothing before the final f32
 * rounding. Layouts (see kernels/assembly/ops/rope.ts):
 *   half:        [cos_0 .. cos_{D/2−1}, sin_0 .. sin_{D/2−1}]                    D floats per token
 *   interleaved: [cos_0, cos_0, cos_1, cos_1, ...] [−sin_0, sin_0, −sin_1, ...]  2·D floats per token
 */
export function ropeTableFloats(D: number, style: RopeStyle): number {
  return style === 'interleaved' ? 2 * D : D;
}

/** `frequencies`: theta, for theta^(−2i/D), or the caller's D/2 inverse frequencies (rope scaling). */
export function fillRopeTable(
  table: Float32Array,
  positions: Int32Array,
  D: number,
  style: RopeStyle,
  frequencies: number | Float32Array,
): void {
  const half = D / 2;
  const rowFloats = ropeTableFloats(D, style);
  const inverse =
    typeof frequencies === 'number' ? Array.from({ length: half }, (_, i) => Math.pow(frequencies, (-2 * i) / D)) : frequencies;
  for (let token = 0; token < positions.length; token++) {
    const position = positions[token]!;
    const row = token * rowFloats;
    for (let i = 0; i < half; i++) {
      const angle = position * inverse[i]!;
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      if (style === 'interleaved') {
        table[row + 2 * i] = cos;
        table[row + 2 * i + 1] = cos;
        table[row + D + 2 * i] = -sin;
        table[row + D + 2 * i + 1] = sin;
      } else {
        table[row + i] = cos;
        table[row + half + i] = sin;
      }
    }
  }
}

interface TableKey {
  D: number;
  style: RopeStyle;
  frequencies: number | Float32Array;
  positions: Int32Array;
}

/**
 * The last table `rope` used, kept in its own block of wasm memory: a forward pass rotates q and k
 * of every layer at the same positions, so one fill (cos and sin in f64 per element, in JS) serves
 * all 2·layers calls instead of being redone each time. The block only grows, so a decode step after
 * a prefill reuses it without touching the allocator.
 */
export class RopeTableCache {
  #offset = 0;
  #capacity = 0;
  #key: TableKey | undefined;

  constructor(private readonly memory: { allocate(bytes: number): number; free(offset: number): void; float32(offset: number, count: number): Float32Array }) {}

  /** Offset of the table for these positions, filled unless it is the one held already. */
  tableFor(positions: Int32Array, D: number, style: RopeStyle, frequencies: number | Float32Array): number {
    const key = this.#key;
    // An inverse-frequency array is compared by identity: callers compute it once per model.
    if (key && key.D === D && key.style === style && key.frequencies === frequencies && samePositions(key.positions, positions)) return this.#offset;
    const bytes = positions.length * ropeTableFloats(D, style) * 4;
    if (bytes > this.#capacity) {
      if (this.#capacity > 0) this.memory.free(this.#offset);
      this.#offset = this.memory.allocate(bytes);
      this.#capacity = bytes;
    }
    fillRopeTable(this.memory.float32(this.#offset, bytes / 4), positions, D, style, frequencies);
    this.#key = { D, style, frequencies, positions: positions.slice() };
    return this.#offset;
  }
}

function samePositions(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
