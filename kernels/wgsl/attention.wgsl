// Causal grouped-query attention for prefill, FlashAttention-2 style: a workgroup owns a tile of
// {{BLOCK_Q}} queries of one head, streams the keys and values through workgroup memory
// {{BLOCK_K}} at a time and keeps a running max / sum per query (online softmax), so no T × S
// score matrix is ever written. Four invocations share a query: each scores a quarter of the
// key tile and accumulates every fourth output dimension in registers.
//
// Layouts: q, out [B, T, nHeads, D]; k, v [B, S, nKvHeads, D]. Query t sits at position
// kv_length − T + t and sees keys 0 ..= that position. {{HEAD_DIM}} is D (one variant per D).

struct Params {
  T: u32,
  S: u32,
  n_heads: u32,
  n_kv_heads: u32,
  kv_length: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
// k (binding 2) and v (binding 3), read through key_at / value_at: kv-cache-read.wgsl.
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const D = {{HEAD_DIM}}u;
const BLOCK_Q = {{BLOCK_Q}}u;
const BLOCK_K = {{BLOCK_K}}u;
const LANES = 4u; // invocations per query
const THREADS = BLOCK_Q * LANES;
const DIMS_PER_LANE = (D + LANES - 1u) / LANES;
// Masked scores: far below any real score but finite, so (masked − max) never makes inf − inf.
const MASKED = -1.0e30;

var<workgroup> q_tile: array<f32, BLOCK_Q * D>;
var<workgroup> k_tile: array<f32, BLOCK_K * D>;
var<workgroup> v_tile: array<f32, BLOCK_K * D>;
var<workgroup> scores: array<f32, BLOCK_Q * BLOCK_K>;

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let T = params.T;
  let head = group.y;
  let batch = group.z;
  let kv_head = head / (params.n_heads / params.n_kv_heads);
  let q0 = group.x * BLOCK_Q;
  let row = lidx / LANES;
  let lane = lidx % LANES;
  let t = q0 + row;
  let first_position = params.kv_length - T; // position of query 0
  let position = first_position + t;
  // Keys past the last query of the tile are masked for every query in it.
  let key_end = first_position + min(q0 + BLOCK_Q, T);

  for (var i = lidx; i < BLOCK_Q * D; i += THREADS) {
    let tq = q0 + i / D;
    var value = 0.0;
    if (tq < T) {
      value = q[((batch * T + tq) * params.n_heads + head) * D + i % D] * params.scale;
    }
    q_tile[i] = value;
  }

  var running_max = MASKED;
  var running_sum = 0.0;
  var acc: array<f32, DIMS_PER_LANE>;

  for (var s0 = 0u; s0 < key_end; s0 += BLOCK_K) {
    workgroupBarrier(); // the previous tile has been consumed (and q_tile is written)
    for (var i = lidx; i < BLOCK_K * D; i += THREADS) {
      let s = s0 + i / D;
      var key = 0.0;
      var value = 0.0;
      if (s < key_end) {
        let index = ((batch * params.S + s) * params.n_kv_heads + kv_head) * D + i % D;
        key = key_at(index);
        value = value_at(index);
      }
      k_tile[i] = key;
      v_tile[i] = value;
    }
    workgroupBarrier();

    for (var j = lane; j < BLOCK_K; j += LANES) {
      var dot = 0.0;
      for (var d = 0u; d < D; d++) {
        dot = fma(q_tile[row * D + d], k_tile[j * D + d], dot);
      }
      scores[row * BLOCK_K + j] = select(MASKED, dot, t < T && s0 + j <= position);
    }
    workgroupBarrier();

    var tile_max = MASKED;
    for (var j = 0u; j < BLOCK_K; j++) {
      tile_max = max(tile_max, scores[row * BLOCK_K + j]);
    }
    let new_max = max(running_max, tile_max);
    let correction = exp(running_max - new_max);
    running_sum *= correction;
    for (var i = 0u; i < DIMS_PER_LANE; i++) {
      acc[i] *= correction;
    }
    for (var j = 0u; j < BLOCK_K; j++) {
      let score = scores[row * BLOCK_K + j];
      let weight = select(0.0, exp(score - new_max), score > MASKED);
      running_sum += weight;
      for (var i = 0u; i < DIMS_PER_LANE; i++) {
        let d = lane + i * LANES;
        if (d < D) {
          acc[i] = fma(weight, v_tile[j * D + d], acc[i]);
        }
      }
    }
    running_max = new_max;
  }

  if (t < T) {
    let base = ((batch * T + t) * params.n_heads + head) * D;
    for (var i = 0u; i < DIMS_PER_LANE; i++) {
      let d = lane + i * LANES;
      if (d < D) {
        out[base + d] = acc[i] / running_sum;
      }
    }
  }
}
