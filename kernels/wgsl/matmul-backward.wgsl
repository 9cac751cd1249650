// Input gradient through a weight in its stored layout:
//   da[b, m, k] += Σ_n dout[b, m, n_begin + n] · W[n, k]   for the rows n < n_count of one part of W.
// W [N, K] is the linear layer's weight (the forward's transposeB operand) in any weight dtype
// (weights.wgsl): a frozen f16/bf16/Q8_0/Q4_0 base is decoded while it is staged into workgroup
// memory, never materialised as f32. A W split over several bindings (tensor-layout.ts) is one
// dispatch per part, each adding its rows' share: dout is read at column offset n_begin with its
// full row stride N.
//
// The tiling is matmul.wgsl's: a 64×64 tile of da per workgroup (16×16 invocations × a 4×4
// register block), the inner dimension n walked 16 at a time through workgroup memory. Consecutive
// invocations stage consecutive n of dout and consecutive k of W (a q8_0 vec4 is one quant word).

struct Params {
  M: u32,                  // rows of da and dout
  K: u32,                  // columns of da = the row length of W
  N: u32,                  // row stride of dout (all rows of W, every part)
  n_begin: u32,            // first row of W in this part = first column of dout it pairs with
  n_count: u32,            // rows of W in this part
  dout_batch_stride: u32,
  w_batch_stride: u32,     // 0 when W is broadcast over the batch
  da_batch_stride: u32,
  quant_base: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read_write> da: array<f32>;

const TILE_M = 64u;
const TILE_K = 64u;
const TILE_N = 16u;

var<workgroup> tile_dout: array<vec4<f32>, 256>; // [TILE_N][TILE_M / 4]
var<workgroup> tile_w: array<vec4<f32>, 256>;    // [TILE_N][TILE_K / 4]

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_id) local: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
) {
  let row0 = group.y * TILE_M;
  let col0 = group.x * TILE_K;
  let dout_base = group.z * params.dout_batch_stride + params.n_begin;
  let w_base = group.z * params.w_batch_stride;
  let K = params.K;

  var acc: array<vec4<f32>, 4>; // rows local.y * 4 + i, columns local.x * 4 .. + 3

  for (var n0 = 0u; n0 < params.n_count; n0 += TILE_N) {
    // Each invocation writes one whole vec4 of each tile (component stores into a shared vec4
    // from different invocations would race).
    {
      let nn = lidx % TILE_N;
      let quad = lidx / TILE_N;
      let n = n0 + nn;
      var values = vec4<f32>();
      for (var i = 0u; i < 4u; i++) {
        let m = row0 + quad * 4u + i;
        if (m < params.M && n < params.n_count) {
          values[i] = dout[dout_base + m * params.N + n];
        }
      }
      tile_dout[nn * 16u + quad] = values;
    }
    {
      let nn = lidx / 16u;
      let quad = lidx % 16u;
      let n = n0 + nn;
      var values = vec4<f32>();
      for (var j = 0u; j < 4u; j++) {
        let k = col0 + quad * 4u + j;
        if (k < K && n < params.n_count) {
          values[j] = {{WEIGHT_FN}}(w_base + n * K + k, params.quant_base);
        }
      }
      tile_w[nn * 16u + quad] = values;
    }
    workgroupBarrier();

    for (var nn = 0u; nn < TILE_N; nn++) {
      let d4 = tile_dout[nn * 16u + local.y];
      let w4 = tile_w[nn * 16u + local.x];
      acc[0] = fma(vec4<f32>(d4.x), w4, acc[0]);
      acc[1] = fma(vec4<f32>(d4.y), w4, acc[1]);
      acc[2] = fma(vec4<f32>(d4.z), w4, acc[2]);
      acc[3] = fma(vec4<f32>(d4.w), w4, acc[3]);
    }
    workgroupBarrier();
  }

  let da_base = group.z * params.da_batch_stride;
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + local.y * 4u + i;
    if (m >= params.M) {
      break;
    }
    for (var j = 0u; j < 4u; j++) {
      let k = col0 + local.x * 4u + j;
      if (k < K) {
        da[da_base + m * K + k] += acc[i][j];
      }
    }
  }
}
