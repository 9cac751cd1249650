// Tiled matmul for prefill: out[b, m, n_begin + n] = Σ_k a[b, m, k] · B(k, n).
// A 64×64 output tile per workgroup (16×16 invocations × a 4×4 register block each), K walked in
// steps of 16 through workgroup memory. A is stored transposed in the tile so that an invocation
// reads its 4 rows as one vec4 and its 4 columns as another: 16 FMAs (as 4 vec4 FMAs) per 2 loads.
// B is any weight dtype (see weights.wgsl), dequantised while it is staged into workgroup memory,
// never materialised as f32 in global memory. Edges that are not tile multiples load zeros.
//
// Variants: {{WEIGHT_FN}} picks the dtype, {{TRANSPOSE_B}} the layout of B ([N, K] or [K, N]).
// The matmul backward reuses this kernel: {{TRANSPOSE_A}} reads A stored [K, M] (for Aᵀ·dY and
// dYᵀ·A) and {{ACCUMULATE}} adds into out (gradients accumulate) instead of overwriting it.
// A B split over several bindings (tensor-layout.ts) is one dispatch per part. A part is columns
// n_begin .. + n_count of out, or with {{PART_OF_K}} rows n_begin .. + n_count of a B stored [K, N]
// (dA = dY · W through a split linear-layer weight W [N, K]): each part then adds its share of the
// inner sum over every column of out, and A is read from column n_begin with its full row stride K.
// Overwritten outputs go through `epilogue` (epilogue-plain.wgsl, or epilogue-swiglu.wgsl for matmulSwiglu).

struct Params {
  M: u32,
  N: u32,                // row stride of out (all columns, every part)
  K: u32,                // row stride of A (the whole inner dimension, every part)
  n_begin: u32,          // first column of out this part of B covers (PART_OF_K: first row of B)
  n_count: u32,          // columns in this part (PART_OF_K: rows of B)
  a_batch_stride: u32,
  b_batch_stride: u32,   // 0 when B is broadcast over the batch
  out_batch_stride: u32,
  quant_base: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const TILE_M = 64u;
const TILE_N = 64u;
const TILE_K = 16u;
const TRANSPOSE_A = {{TRANSPOSE_A}};
const TRANSPOSE_B = {{TRANSPOSE_B}};
const ACCUMULATE = {{ACCUMULATE}};
const PART_OF_K = {{PART_OF_K}};

var<workgroup> tile_a: array<vec4<f32>, 256>; // [TILE_K][TILE_M / 4]
var<workgroup> tile_b: array<vec4<f32>, 256>; // [TILE_K][TILE_N / 4]

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_id) local: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
) {
  let row0 = group.y * TILE_M;
  let col0 = group.x * TILE_N;
  let K = params.K;
  // This part's range of the inner dimension (k counts from its start) and of the columns of out.
  let k_begin = select(0u, params.n_begin, PART_OF_K);
  let k_count = select(K, params.n_count, PART_OF_K);
  let n_begin = select(params.n_begin, 0u, PART_OF_K);
  let n_count = select(params.n_count, params.N, PART_OF_K);
  let a_base = group.z * params.a_batch_stride + select(0u, k_begin * params.M, TRANSPOSE_A);
  let a_column = select(k_begin, 0u, TRANSPOSE_A);
  let b_base = group.z * params.b_batch_stride;

  var acc: array<vec4<f32>, 4>; // rows local.y * 4 + i, columns local.x * 4 .. + 3

  for (var k0 = 0u; k0 < k_count; k0 += TILE_K) {
    // Each invocation stages one vec4 of A and one of B per step, written whole: writing single
    // components of a shared vec4 from different invocations is a data race in WGSL (a component
    // store may rewrite the whole vector). Consecutive invocations read consecutive addresses:
    // along K for A and for Bᵀ, along N for B.
    {
      let kk = lidx % TILE_K;
      let quad = lidx / TILE_K;
      let k = k0 + kk;
      var values = vec4<f32>();
      for (var i = 0u; i < 4u; i++) {
        let m = row0 + quad * 4u + i;
        if (m < params.M && k < k_count) {
          if (TRANSPOSE_A) {
            values[i] = a[a_base + k * params.M + m];
          } else {
            values[i] = a[a_base + m * K + a_column + k];
          }
        }
      }
      tile_a[kk * 16u + quad] = values;
    }
    {
      var kk: u32;
      var quad: u32;
      if (TRANSPOSE_B) {
        kk = lidx % TILE_K;
        quad = lidx / TILE_K;
      } else {
        kk = lidx / 16u;
        quad = lidx % 16u;
      }
      let k = k0 + kk;
      var values = vec4<f32>();
      for (var j = 0u; j < 4u; j++) {
        let column = col0 + quad * 4u + j;
        if (column < n_count && k < k_count) {
          var e: u32;
          if (TRANSPOSE_B) {
            e = b_base + column * K + k;
          } else {
            e = b_base + k * params.N + column;
          }
          values[j] = {{WEIGHT_FN}}(e, params.quant_base);
        }
      }
      tile_b[kk * 16u + quad] = values;
    }
    workgroupBarrier();

    for (var kk = 0u; kk < TILE_K; kk++) {
      let a4 = tile_a[kk * 16u + local.y];
      let b4 = tile_b[kk * 16u + local.x];
      acc[0] = fma(vec4<f32>(a4.x), b4, acc[0]);
      acc[1] = fma(vec4<f32>(a4.y), b4, acc[1]);
      acc[2] = fma(vec4<f32>(a4.z), b4, acc[2]);
      acc[3] = fma(vec4<f32>(a4.w), b4, acc[3]);
    }
    workgroupBarrier();
  }

  let out_base = group.z * params.out_batch_stride + n_begin;
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + local.y * 4u + i;
    if (m >= params.M) {
      break;
    }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + local.x * 4u + j;
      if (n < n_count) {
        let index = out_base + m * params.N + n;
        if (ACCUMULATE) {
          out[index] += acc[i][j];
        } else {
          out[index] = epilogue(index, acc[i][j]);
        }
      }
    }
  }
}
