// Causal grouped-query attention for decode ("flash decoding"): with one query per head there are
// too few queries to fill the GPU, so the keys are split into chunks of {{CHUNK}}, one workgroup per
// (chunk, head, query) computes a partial result — unnormalised output, max, sum — and `reduce`
// merges the chunks with the usual rescaling. The partials buffer is
// [B · T, nHeads, splits, D + 2] (output, then max, then sum).
//
// Layouts as in attention.wgsl; {{HEAD_DIM}} is D.

struct Params {
  T: u32,
  S: u32,
  n_heads: u32,
  n_kv_heads: u32,
  kv_length: u32,
  scale: f32,
  splits: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
// k (binding 2) and v (binding 3), read through key_at / value_at: kv-cache-read.wgsl.
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const D = {{HEAD_DIM}}u;
const CHUNK = {{CHUNK}}u; // keys per workgroup = invocations per workgroup
const MASKED = -1.0e30;

var<workgroup> q_row: array<f32, D>;
var<workgroup> weights: array<f32, CHUNK>;
var<workgroup> reduce_scratch: array<f32, CHUNK>;

fn chunk_max(value: f32, lidx: u32) -> f32 {
  reduce_scratch[lidx] = value;
  workgroupBarrier();
  for (var stride = CHUNK / 2u; stride > 0u; stride >>= 1u) {
    if (lidx < stride) {
      reduce_scratch[lidx] = max(reduce_scratch[lidx], reduce_scratch[lidx + stride]);
    }
    workgroupBarrier();
  }
  let result = reduce_scratch[0];
  workgroupBarrier();
  return result;
}

fn chunk_sum(value: f32, lidx: u32) -> f32 {
  reduce_scratch[lidx] = value;
  workgroupBarrier();
  for (var stride = CHUNK / 2u; stride > 0u; stride >>= 1u) {
    if (lidx < stride) {
      reduce_scratch[lidx] += reduce_scratch[lidx + stride];
    }
    workgroupBarrier();
  }
  let result = reduce_scratch[0];
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(CHUNK)
fn split(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let chunk = group.x;
  let head = group.y;
  let query = group.z; // batch · T + t
  let batch = query / params.T;
  let t = query % params.T;
  let kv_head = head / (params.n_heads / params.n_kv_heads);
  let position = params.kv_length - params.T + t;
  let s_begin = chunk * CHUNK;
  let s_end = min(s_begin + CHUNK, position + 1u);

  let q_base = (query * params.n_heads + head) * D;
  for (var d = lidx; d < D; d += CHUNK) {
    q_row[d] = q[q_base + d] * params.scale;
  }
  workgroupBarrier();

  let s = s_begin + lidx;
  var score = MASKED;
  if (s < s_end) {
    let k_base = ((batch * params.S + s) * params.n_kv_heads + kv_head) * D;
    var dot = 0.0;
    for (var d = 0u; d < D; d++) {
      dot = fma(q_row[d], key_at(k_base + d), dot);
    }
    score = dot;
  }
  let chunk_maximum = chunk_max(score, lidx);
  let weight = select(0.0, exp(score - chunk_maximum), s < s_end);
  weights[lidx] = weight;
  let total = chunk_sum(weight, lidx);

  // Output dimensions across invocations: consecutive invocations read consecutive values of a V row.
  let base = ((query * params.n_heads + head) * params.splits + chunk) * (D + 2u);
  for (var d = lidx; d < D; d += CHUNK) {
    var sum = 0.0;
    for (var j = 0u; j < CHUNK; j++) {
      if (s_begin + j < s_end) {
        sum = fma(weights[j], value_at(((batch * params.S + s_begin + j) * params.n_kv_heads + kv_head) * D + d), sum);
      }
    }
    partials[base + d] = sum;
  }
  if (lidx == 0u) {
    partials[base + D] = chunk_maximum;
    partials[base + D + 1u] = total;
  }
}

@compute @workgroup_size(64)
fn reduce(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let head = group.x;
  let query = group.y;
  let stride = D + 2u;
  let base = (query * params.n_heads + head) * params.splits * stride;
  var maximum = MASKED;
  for (var c = 0u; c < params.splits; c++) {
    maximum = max(maximum, partials[base + c * stride + D]);
  }
  var total = 0.0;
  for (var c = 0u; c < params.splits; c++) {
    total = fma(partials[base + c * stride + D + 1u], exp(partials[base + c * stride + D] - maximum), total);
  }
  for (var d = lidx; d < D; d += 64u) {
    var sum = 0.0;
    for (var c = 0u; c < params.splits; c++) {
      sum = fma(partials[base + c * stride + d], exp(partials[base + c * stride + D] - maximum), sum);
    }
    out[(query * params.n_heads + head) * D + d] = sum / total;
  }
}
