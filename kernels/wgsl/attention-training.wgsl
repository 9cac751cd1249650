// Causal grouped-query attention for training (kvLength = T, no cache) and its backward, in the
// FlashAttention-2 scheme: the forward saves one logsumexp per query row instead of the T × T
// probabilities, and the backward recomputes P = exp(q·k·scale − lse) tile by tile.
//   forward:  out = softmax(scale · q·kᵀ, causal + segment mask) · v, logsumexp per query row
//   prepare:  stats[row] = (lse, Δ = dout·out) per query row, for both backward passes
//   dq:       one invocation per query row: dq += scale · Σ_s dS_ts · k_s
//   dkv:      one invocation per key row of a KV head, looping over the query heads of its group:
//             dv += Σ_t P_ts · dout_t, dk += scale · Σ_t dS_ts · q_t, with dS = P ⊙ (dout·v − Δ)
// Every gradient element is owned by one invocation (no atomics, deterministic) and accumulated
// (+=). The workgroup streams the other side (keys for forward / dq, queries for dkv) through
// workgroup memory {{BLOCK}} rows at a time.
//
// Layouts: q, out, dout [B, T, nHeads, D]; k, v [B, T, nKvHeads, D]; logsumexp [B, nHeads, T];
// segment_ids i32 [B, T] ({{SEGMENTS}}: packed sequences, a block-diagonal causal mask).

struct Params {
  T: u32,
  n_heads: u32,
  n_kv_heads: u32,
  scale: f32,
  rows: u32, // B · nHeads · T, for prepare
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> segment_ids: array<i32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> logsumexp: array<f32>;
@group(0) @binding(7) var<storage, read> dout: array<f32>;
@group(0) @binding(8) var<storage, read_write> stats: array<vec2<f32>>; // [B, nHeads, T] (lse, Δ)
@group(0) @binding(9) var<storage, read_write> dq: array<f32>;
@group(0) @binding(10) var<storage, read_write> dk: array<f32>;
@group(0) @binding(11) var<storage, read_write> dv: array<f32>;

const D = {{HEAD_DIM}}u;
const BLOCK = {{BLOCK}}u;
const SEGMENTS = {{SEGMENTS}};
const MASKED = -1.0e30;

var<workgroup> tile_a: array<f32, BLOCK * D>;          // k (forward, dq) or q (dkv)
var<workgroup> tile_b: array<f32, BLOCK * D>;          // v (forward, dq) or dout (dkv)
var<workgroup> tile_stats: array<vec2<f32>, BLOCK>;    // dkv: the queries' (lse, Δ)

fn attends(batch: u32, t: u32, s: u32) -> bool {
  if (s > t) {
    return false;
  }
  if (SEGMENTS) {
    return segment_ids[batch * params.T + s] == segment_ids[batch * params.T + t];
  }
  return true;
}

fn query_offset(batch: u32, t: u32, head: u32) -> u32 {
  return ((batch * params.T + t) * params.n_heads + head) * D;
}

fn key_offset(batch: u32, s: u32, kv_head: u32) -> u32 {
  return ((batch * params.T + s) * params.n_kv_heads + kv_head) * D;
}

/** Stages keys and values s0 .. s0 + BLOCK of one KV head (zeros past T). */
fn load_keys(batch: u32, kv_head: u32, s0: u32, lidx: u32) {
  for (var i = lidx; i < BLOCK * D; i += BLOCK) {
    let s = s0 + i / D;
    var key = 0.0;
    var value = 0.0;
    if (s < params.T) {
      let index = key_offset(batch, s, kv_head) + i % D;
      key = k[index];
      value = v[index];
    }
    tile_a[i] = key;
    tile_b[i] = value;
  }
}

@compute @workgroup_size(BLOCK)
fn forward(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let head = group.y;
  let batch = group.z;
  let kv_head = head / (params.n_heads / params.n_kv_heads);
  let t0 = group.x * BLOCK;
  let t = t0 + lidx;
  let valid = t < params.T;
  let row = query_offset(batch, t, head);
  var q_row: array<f32, D>;
  if (valid) {
    for (var d = 0u; d < D; d++) {
      q_row[d] = q[row + d] * params.scale;
    }
  }
  var running_max = MASKED;
  var running_sum = 0.0;
  var acc: array<f32, D>;
  let key_end = min(t0 + BLOCK, params.T);
  for (var s0 = 0u; s0 < key_end; s0 += BLOCK) {
    workgroupBarrier(); // the previous tile has been consumed
    load_keys(batch, kv_head, s0, lidx);
    workgroupBarrier();
    if (valid) {
      for (var j = 0u; j < BLOCK; j++) {
        if (!attends(batch, t, s0 + j)) {
          continue;
        }
        var score = 0.0;
        for (var d = 0u; d < D; d++) {
          score = fma(q_row[d], tile_a[j * D + d], score);
        }
        if (score > running_max) {
          let correction = exp(running_max - score);
          running_sum *= correction;
          for (var d = 0u; d < D; d++) {
            acc[d] *= correction;
          }
          running_max = score;
        }
        let weight = exp(score - running_max);
        running_sum += weight;
        for (var d = 0u; d < D; d++) {
          acc[d] = fma(weight, tile_b[j * D + d], acc[d]);
        }
      }
    }
  }
  if (valid) {
    // Key t always attends to itself, so running_sum ≥ 1.
    for (var d = 0u; d < D; d++) {
      out[row + d] = acc[d] / running_sum;
    }
    logsumexp[(batch * params.n_heads + head) * params.T + t] = running_max + log(running_sum);
  }
}

@compute @workgroup_size(256)
fn prepare(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
) {
  let r = flat_invocation(group, groups, lidx); // (batch · nHeads + head) · T + t
  if (r >= params.rows) {
    return;
  }
  let t = r % params.T;
  let head = (r / params.T) % params.n_heads;
  let batch = r / (params.T * params.n_heads);
  let row = query_offset(batch, t, head);
  var delta = 0.0;
  for (var d = 0u; d < D; d++) {
    delta = fma(dout[row + d], out[row + d], delta);
  }
  stats[r] = vec2<f32>(logsumexp[r], delta);
}

@compute @workgroup_size(BLOCK)
fn dq_pass(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let head = group.y;
  let batch = group.z;
  let kv_head = head / (params.n_heads / params.n_kv_heads);
  let t0 = group.x * BLOCK;
  let t = t0 + lidx;
  let valid = t < params.T;
  let row = query_offset(batch, t, head);
  var q_row: array<f32, D>;
  var dout_row: array<f32, D>;
  var row_stats = vec2<f32>();
  if (valid) {
    for (var d = 0u; d < D; d++) {
      q_row[d] = q[row + d];
      dout_row[d] = dout[row + d];
    }
    row_stats = stats[(batch * params.n_heads + head) * params.T + t];
  }
  var acc: array<f32, D>;
  let key_end = min(t0 + BLOCK, params.T);
  for (var s0 = 0u; s0 < key_end; s0 += BLOCK) {
    workgroupBarrier();
    load_keys(batch, kv_head, s0, lidx);
    workgroupBarrier();
    if (valid) {
      for (var j = 0u; j < BLOCK; j++) {
        if (!attends(batch, t, s0 + j)) {
          continue;
        }
        var score = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < D; d++) {
          score = fma(q_row[d], tile_a[j * D + d], score);
          dp = fma(dout_row[d], tile_b[j * D + d], dp);
        }
        let p = exp(score * params.scale - row_stats.x);
        let ds = p * (dp - row_stats.y) * params.scale;
        for (var d = 0u; d < D; d++) {
          acc[d] = fma(ds, tile_a[j * D + d], acc[d]);
        }
      }
    }
  }
  if (valid) {
    for (var d = 0u; d < D; d++) {
      dq[row + d] += acc[d];
    }
  }
}

@compute @workgroup_size(BLOCK)
fn dkv_pass(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let kv_head = group.y;
  let batch = group.z;
  let heads_per_group = params.n_heads / params.n_kv_heads;
  let first_key = group.x * BLOCK;
  let s = first_key + lidx;
  let valid = s < params.T;
  let kv_row = key_offset(batch, s, kv_head);
  var k_row: array<f32, D>;
  var v_row: array<f32, D>;
  if (valid) {
    for (var d = 0u; d < D; d++) {
      k_row[d] = k[kv_row + d];
      v_row[d] = v[kv_row + d];
    }
  }
  var dk_acc: array<f32, D>;
  var dv_acc: array<f32, D>;
  for (var h = 0u; h < heads_per_group; h++) {
    let head = kv_head * heads_per_group + h;
    // Queries before the tile's first key see none of its keys.
    for (var t0 = first_key; t0 < params.T; t0 += BLOCK) {
      workgroupBarrier();
      for (var i = lidx; i < BLOCK * D; i += BLOCK) {
        let t = t0 + i / D;
        var query = 0.0;
        var gradient = 0.0;
        if (t < params.T) {
          let index = query_offset(batch, t, head) + i % D;
          query = q[index];
          gradient = dout[index];
        }
        tile_a[i] = query;
        tile_b[i] = gradient;
      }
      if (t0 + lidx < params.T) {
        tile_stats[lidx] = stats[(batch * params.n_heads + head) * params.T + t0 + lidx];
      }
      workgroupBarrier();
      if (valid) {
        for (var i = 0u; i < BLOCK; i++) {
          let t = t0 + i;
          if (t >= params.T || !attends(batch, t, s)) {
            continue;
          }
          var score = 0.0;
          var dp = 0.0;
          for (var d = 0u; d < D; d++) {
            score = fma(tile_a[i * D + d], k_row[d], score);
            dp = fma(tile_b[i * D + d], v_row[d], dp);
          }
          let row_stats = tile_stats[i];
          let p = exp(score * params.scale - row_stats.x);
          let ds = p * (dp - row_stats.y) * params.scale;
          for (var d = 0u; d < D; d++) {
            dv_acc[d] = fma(p, tile_b[i * D + d], dv_acc[d]);
            dk_acc[d] = fma(ds, tile_a[i * D + d], dk_acc[d]);
          }
        }
      }
    }
  }
  if (valid) {
    for (var d = 0u; d < D; d++) {
      dk[kv_row + d] += dk_acc[d];
      dv[kv_row + d] += dv_acc[d];
    }
  }
}
