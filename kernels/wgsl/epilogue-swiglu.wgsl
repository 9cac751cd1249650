// The matmul kernels' output step for matmulSwiglu: out[index] = silu(gate[index]) · value, the
// SwiGLU activation applied as the up projection is written (binding 4 exists only in this variant).
@group(0) @binding(4) var<storage, read> gate: array<f32>;

fn epilogue(index: u32, value: f32) -> f32 {
  return silu_of(gate[index]) * value;
}
