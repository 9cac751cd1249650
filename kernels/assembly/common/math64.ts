/**
 * log and exp in f64 without lookup tables, for the scalar parts that need more than f32 (loss
 * values, distillation log-ratios). Natural log: AssemblyScript's Math.log / Mathf.log read tables from
 * a data segment, which every instance sharing the memory would re-copy over live tensors — the
 * kernels must have no static data. x = m·2^e with m in [√½, √2), then
 * log m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172: the odd series to s^15 is below 1e-13.
 */
export function logScalar(x: f64): f64 {
  if (!(x > 0)) return x == 0 ? -Infinity : NaN;
  if (x == Infinity) return x;
  let bits = reinterpret<u64>(x);
  let exponent = <i32>((bits >> 52) & 0x7ff);
  if (exponent == 0) {
    // subnormal: scale into the normal range first
    bits = reinterpret<u64>(x * 18014398509481984.0); // 2^54
    exponent = <i32>((bits >> 52) & 0x7ff) - 54;
  }
  exponent -= 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    exponent++;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  const series = 1 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 + s2 * (1.0 / 13 + s2 / 15))))));
  return <f64>exponent * 0.6931471805599453 + 2 * s * series;
}

/**
 * e^x in f64: x = n·ln2 + r (ln2 in two parts, |r| ≤ ln2/2), a degree-13 Taylor polynomial for e^r
 * (truncation < 2e-16), and 2^n built in the exponent bits (in two halves, so n down to −1074 works).
 */
export function expScalar64(x: f64): f64 {
  if (x != x) return x;
  if (x > 709.78) return Infinity;
  if (x < -745.2) return 0;
  const n = Math.floor(x * 1.4426950408889634 + 0.5);
  const r = (x - n * 0.6931471803691238) - n * 1.9082149292705877e-10;
  let p: f64 = 1.0 / 6227020800;
  p = p * r + 1.0 / 479001600;
  p = p * r + 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1;
  p = p * r + 1;
  const exponent = <i64>n;
  const half = exponent >> 1;
  const first = reinterpret<f64>(<u64>(half + 1023) << 52);
  const second = reinterpret<f64>(<u64>(exponent - half + 1023) << 52);
  return p * first * second;
}
