import { madd } from './simd';

/**
 * exp on four lanes: Cody–Waite range reduction x = n·ln2 + r (|r| ≤ ln2/2), Cephes' degree-6
 * polynomial for e^r (≈1 ulp), and 2^n applied as two factors 2^⌊n/2⌋ · 2^(n−⌊n/2⌋) so the whole
 * f32 range comes out right: subnormal results down to e^−103, 0 below, inf above e^88.7.
 */
// @ts-ignore: decorator
@inline
export function exp4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104.0)), f32x4.splat(89.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  // ln2 split in two so that n·C1 is exact (C1 has 9 significant bits, |n| at most 8).
  let r = madd(n, f32x4.splat(-0.693359375), x);
  r = madd(n, f32x4.splat(2.12194440e-4), r);
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  p = madd(p, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)));
  const exponent = i32x4.trunc_sat_f32x4_s(n);
  const half = i32x4.shr_s(exponent, 1);
  const first = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const second = i32x4.shl(i32x4.add(i32x4.sub(exponent, half), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, first), second);
}

/** Scalar exp through the same code path, so vector bodies and scalar tails agree bit for bit. */
export function expScalar(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

/**
 * 1 / (1 + e^−z) without cancellation or overflow on either side: with e = e^−|z|,
 * σ(z) = 1 / (1 + e) for z ≥ 0 and e / (1 + e) for z < 0 (so tiny results keep their digits).
 */
// @ts-ignore: decorator
@inline
export function sigmoid4(z: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(z)));
  const positive = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(positive, f32x4.mul(e, positive), f32x4.ge(z, f32x4.splat(0)));
}

/** x · σ(x). */
// @ts-ignore: decorator
@inline
export function silu4(x: v128): v128 {
  return f32x4.mul(x, sigmoid4(x));
}

/**
 * GELU, tanh approximation: 0.5·x·(1 + tanh(u)) with u = √(2/π)(x + 0.044715x³), computed as
 * x · σ(2u) — the same value without tanh's cancellation for negative x (where 1 + tanh(u) loses
 * every digit) and with no overflow for large |x|.
 */
// @ts-ignore: decorator
@inline
export function gelu4(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const u = f32x4.mul(f32x4.splat(0.7978845608028654), madd(x3, f32x4.splat(0.044715), x));
  return f32x4.mul(x, sigmoid4(f32x4.add(u, u)));
}
