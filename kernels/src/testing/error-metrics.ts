/**
 * Normalised mean squared error, ggml's test-backend-ops score: Σ(x − ref)² / Σ ref².
 * Independent of the data's scale, so one threshold per op holds for every shape.
 */
export function normalisedError(actual: ArrayLike<number>, expected: ArrayLike<number>, scale = 0): number {
  if (actual.length !== expected.length) return Infinity;
  let error = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (Number.isNaN(a) !== Number.isNaN(e)) return Infinity;
    error += (a - e) ** 2;
    norm += e ** 2;
  }
  norm = Math.max(norm, scale * scale * expected.length);
  if (norm === 0) return error === 0 ? 0 : Infinity;
  return error / norm;
}

/** Number of positions where two integer outputs differ. */
export function mismatches(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let count = 0;
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) count++;
  return count;
}
