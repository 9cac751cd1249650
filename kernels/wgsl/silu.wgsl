// silu(x) = x · σ(x), shared by the element-wise kernels and the matmuls' SwiGLU epilogue.
fn silu_of(value: f32) -> f32 {
  // exp(−value) overflows to +inf for value < −88: value / inf = −0, the right limit.
  return value / (1.0 + exp(-value));
}
