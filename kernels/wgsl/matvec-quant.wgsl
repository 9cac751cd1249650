// Decode matmul (M = 1) with Q8_0 / Q4_0 weights [N, K]: out[b, n_begin + n] = Σ_k a[b, k] · B[n, k].
// Same shape as matvec.wgsl (8 rows per workgroup, 32 lanes per row, {{ROW_SUM}} reduction) but each
// lane consumes whole u32 words of quants — 4 int8 values, or 8 nibbles — dequantised in registers
// and dotted with vec4s of the activation; the block scale is applied once per word.
// K is a multiple of 32, so every row starts on a block and every vec4 of `a` is aligned.
// Outputs are written through `epilogue` (epilogue-plain.wgsl, or epilogue-swiglu.wgsl for matmulSwiglu).

struct Params {
  M: u32,
  N: u32,
  K: u32,
  n_begin: u32,
  n_count: u32,
  a_batch_stride: u32,
  b_batch_stride: u32,
  out_batch_stride: u32,
  quant_base: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const ROWS_PER_GROUP = 8u;

// Σ over the 4 int8 values of `word` (byte i = element i) times a4.
fn dot_q8_0_word(word: u32, a4: vec4<f32>) -> f32 {
  let shifted = vec4<u32>(word << 24u, word << 16u, word << 8u, word);
  return dot(vec4<f32>(bitcast<vec4<i32>>(shifted) >> vec4<u32>(24u)), a4);
}

// Q8_0: 8 words per block; word w of a row covers elements 4w .. 4w + 3.
fn row_dot_q8_0(block0: u32, a_base4: u32, blocks: u32, lane: u32) -> f32 {
  var sum = 0.0;
  for (var w = lane; w < blocks * 8u; w += 32u) {
    let block = block0 + w / 8u;
    let word = weights[params.quant_base + block0 * 8u + w];
    sum = fma(bitcast<f32>(weights[block]), dot_q8_0_word(word, a[a_base4 + w]), sum);
  }
  return sum;
}

// Q4_0: 4 words per block; word i of a block holds elements 4i .. 4i + 3 in its low nibbles and
// 16 + 4i .. 16 + 4i + 3 in its high nibbles.
fn row_dot_q4_0(block0: u32, a_base4: u32, blocks: u32, lane: u32) -> f32 {
  var sum = 0.0;
  for (var w = lane; w < blocks * 4u; w += 32u) {
    let block_in_row = w / 4u;
    let i = w % 4u;
    let word = vec4<u32>(weights[params.quant_base + block0 * 4u + w]);
    let low = vec4<f32>((word >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(15u)) - 8.0;
    let high = vec4<f32>((word >> vec4<u32>(4u, 12u, 20u, 28u)) & vec4<u32>(15u)) - 8.0;
    let a_block = a_base4 + block_in_row * 8u;
    let value = dot(low, a[a_block + i]) + dot(high, a[a_block + 4u + i]);
    sum = fma(bitcast<f32>(weights[block0 + block_in_row]), value, sum);
  }
  return sum;
}

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  {{SUBGROUP_SIZE_PARAM}}
) {
  let n = group.x * ROWS_PER_GROUP + lidx / 32u;
  let lane = lidx & 31u;
  let blocks = params.K / 32u;
  var partial = 0.0;
  if (n < params.n_count) {
    let block0 = (group.z * params.b_batch_stride) / 32u + n * blocks;
    partial = row_dot_{{QUANT}}(block0, group.z * params.a_batch_stride / 4u, blocks, lane);
  }
  let total = row_sum32(partial, lidx, {{SUBGROUP_SIZE}});
  if (lane == 0u && n < params.n_count) {
    let index = group.z * params.out_batch_stride + params.n_begin + n;
    out[index] = epilogue(index, total);
  }
}
