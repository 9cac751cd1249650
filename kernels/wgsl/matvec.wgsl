// Decode matmul (M = 1): out[b, n_begin + n] = Σ_k a[b, k] · B(k, n), memory-bound, so the goal is
// to stream B once with coalesced reads.
//
// `main` (B is [N, K], the linear-layer layout; f32 / f16 / bf16 via {{WEIGHT_FN}}): 8 rows per
// 256-invocation workgroup, 32 lanes per row walking K with consecutive lanes on consecutive
// elements, then a per-row reduction ({{ROW_SUM}}: subgroupAdd or workgroup memory).
// `main_kn` (B is [K, N], f32): one invocation per output column; a warp reads consecutive columns
// of each row of B, which is coalesced without any reduction.
// `main` writes through `epilogue` (epilogue-plain.wgsl, or epilogue-swiglu.wgsl for matmulSwiglu).

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
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const ROWS_PER_GROUP = 8u;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
  {{SUBGROUP_SIZE_PARAM}}
) {
  let n = group.x * ROWS_PER_GROUP + lidx / 32u;
  let lane = lidx & 31u;
  let K = params.K;
  let a_base = group.z * params.a_batch_stride;
  var partial = 0.0;
  if (n < params.n_count) {
    let row = group.z * params.b_batch_stride + n * K;
    for (var k = lane; k < K; k += 32u) {
      partial = fma(a[a_base + k], {{WEIGHT_FN}}(row + k, params.quant_base), partial);
    }
  }
  let total = row_sum32(partial, lidx, {{SUBGROUP_SIZE}});
  if (lane == 0u && n < params.n_count) {
    let index = group.z * params.out_batch_stride + params.n_begin + n;
    out[index] = epilogue(index, total);
  }
}

@compute @workgroup_size(256)
fn main_kn(@builtin(global_invocation_id) id: vec3<u32>) {
  let n = id.x;
  if (n >= params.n_count) {
    return;
  }
  let a_base = id.z * params.a_batch_stride;
  let b_base = id.z * params.b_batch_stride;
  var total = 0.0;
  for (var k = 0u; k < params.K; k++) {
    total = fma(a[a_base + k], bitcast<f32>(weights[b_base + k * params.N + n]), total);
  }
  out[id.z * params.out_batch_stride + n] = total;
}
