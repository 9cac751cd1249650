// f32 → f16 rounding shared by the shaders that write f16 tensors (copy-half, rope-append): round
// to nearest even exactly as the reference does (numeric/half.ts), since pack2x16float leaves
// rounding and overflow to the implementation.

// f32 bits → f16 bits: round to nearest even, overflow → ±inf, NaN → quiet NaN.
fn f16_bits(bits: u32) -> u32 {
  let sign = (bits >> 16u) & 0x8000u;
  let exponent = (bits >> 23u) & 0xffu;
  let mantissa = bits & 0x7fffffu;
  if (exponent == 0xffu) {
    return sign | 0x7c00u | select(0u, 0x200u, mantissa != 0u);
  }
  let half_exponent = i32(exponent) - 112;
  if (half_exponent >= 31) {
    return sign | 0x7c00u;
  }
  if (half_exponent <= 0) {
    if (half_exponent < -10) {
      return sign;
    }
    let full = mantissa | 0x800000u;
    let shift = u32(14 - half_exponent);
    let halfway = 1u << (shift - 1u);
    let remainder = full & ((1u << shift) - 1u);
    var half = full >> shift;
    if (remainder > halfway || (remainder == halfway && (half & 1u) == 1u)) {
      half += 1u;
    }
    return sign | half;
  }
  var half = (u32(half_exponent) << 10u) | (mantissa >> 13u);
  let remainder = mantissa & 0x1fffu;
  if (remainder > 0x1000u || (remainder == 0x1000u && (half & 1u) == 1u)) {
    half += 1u; // may carry into the exponent: still the right rounding
  }
  return sign | half;
}
