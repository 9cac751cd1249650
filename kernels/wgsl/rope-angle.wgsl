// The rotation of one RoPE pair, shared by rope.wgsl and rope-append.wgsl.
//
// Accuracy: the inverse frequencies θ^(−2i/D) come from the host in f64, so the only f32 roundings
// are position · frequency and the trig. GPU sin/cos are only specified on [−π, π], and positions
// reach thousands of radians, so the angle is first reduced by 2π in two parts (Cody–Waite):
// k · 6.28125 is exact in f32 for the k that occur, and the small remainder carries the rest of 2π.

const INVERSE_TWO_PI = 0.15915494309189535;
const TWO_PI_HIGH = 6.28125;
const TWO_PI_LOW = 0.0019353071795864769;

// (cos, sin) of `angle` = position · inverse frequency.
fn cos_sin(angle: f32) -> vec2<f32> {
  let turns = round(angle * INVERSE_TWO_PI);
  let reduced = (angle - turns * TWO_PI_HIGH) - turns * TWO_PI_LOW;
  return vec2<f32>(cos(reduced), sin(reduced));
}
