/** Small, pure statistics used for timings. Kept free of I/O so the unit tests cover them exactly. */

/** Median of a non-empty sample (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty sample: time at least one call before summarising');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function minimum(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('minimum of an empty sample');
  return Math.min(...values);
}

/**
 * Rounds to `digits` significant digits (3 by default: timings on a shared 2-core machine are not
 * reproducible past that). Keeps 0, NaN and ±Infinity as they are.
 */
export function roundSignificant(value: number, digits = 3): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}

/** Formats with 3 significant digits and no exponent, for tables: 0.000123 → "0.000123", 12345 → "12300". */
export function formatSignificant(value: number | null, digits = 3): string {
  if (value === null) return '—';
  const rounded = roundSignificant(value, digits);
  if (Math.abs(rounded) >= 10 ** (digits - 1)) return String(Math.round(rounded));
  const magnitude = rounded === 0 ? 0 : Math.floor(Math.log10(Math.abs(rounded)));
  return rounded.toFixed(Math.max(0, digits - 1 - magnitude));
}
