/**
 * Integer arithmetic that refuses to lose precision. Header fields are u64 and dims multiply; a
 * JavaScript number is exact only up to 2^53, so anything beyond is an error, never a rounded size.
 */

/** The product of `factors`, or undefined when it (or a partial product) exceeds 2^53 − 1. */
export function safeProduct(factors: readonly number[]): number | undefined {
  let product = 1;
  for (const factor of factors) {
    if (factor !== 0 && product > Number.MAX_SAFE_INTEGER / factor) {
      // Only overflow when no later factor is zero: [2^40, 2^40, 0] holds no elements at all.
      return factors.includes(0) ? 0 : undefined;
    }
    product *= factor;
  }
  return product;
}

/** A u64 as a number, or undefined when it does not fit exactly. */
export function u64ToSafe(value: bigint): number | undefined {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}

/** `value` rounded up to a multiple of `alignment`. */
export function alignUp(value: number, alignment: number): number {
  const remainder = value % alignment;
  return remainder === 0 ? value : value + alignment - remainder;
}
