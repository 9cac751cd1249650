// The matmul kernels' output step (matmul, matvec, matvec-quant) when nothing is fused into it:
// out[index] = value. epilogue-swiglu.wgsl is the other choice (pipeline-cache.ts picks one).
fn epilogue(index: u32, value: f32) -> f32 {
  return value;
}
