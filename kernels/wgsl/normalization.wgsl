// Row-wise normalisations over the last dimension, one 256-invocation workgroup per row
// (rows spread over x and y of the dispatch grid so more than 65535 rows fit).
//   rmsnorm:     out = x / sqrt(mean(x²) + eps) · weight
//   add_rmsnorm: residual += x (in place), then out = rmsnorm(residual): one pass over the residual
//                stream where add + rmsnorm took two dispatches
//   layernorm: out = (x − mean) / sqrt(var + eps) · weight + bias, variance from a second pass over
//              (x − mean)² so that a large mean does not cancel it away.

struct Params {
  rows: u32,
  C: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> residual: array<f32>;

@compute @workgroup_size(256)
fn rmsnorm(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
) {
  let row = flat_workgroup(group, groups);
  if (row >= params.rows) {
    return;
  }
  let C = params.C;
  let base = row * C;
  var squares = 0.0;
  for (var c = lidx; c < C; c += 256u) {
    let value = x[base + c];
    squares = fma(value, value, squares);
  }
  let inverse = 1.0 / sqrt(workgroup_sum(squares, lidx) / f32(C) + params.eps);
  for (var c = lidx; c < C; c += 256u) {
    out[base + c] = x[base + c] * inverse * weight[c];
  }
}

// Each invocation reads back only the sums it stored itself, so no barrier sits between the passes.
@compute @workgroup_size(256)
fn add_rmsnorm(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
) {
  let row = flat_workgroup(group, groups);
  if (row >= params.rows) {
    return;
  }
  let C = params.C;
  let base = row * C;
  var squares = 0.0;
  for (var c = lidx; c < C; c += 256u) {
    let sum = residual[base + c] + x[base + c];
    residual[base + c] = sum;
    squares = fma(sum, sum, squares);
  }
  let inverse = 1.0 / sqrt(workgroup_sum(squares, lidx) / f32(C) + params.eps);
  for (var c = lidx; c < C; c += 256u) {
    out[base + c] = residual[base + c] * inverse * weight[c];
  }
}

@compute @workgroup_size(256)
fn layernorm(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
) {
  let row = flat_workgroup(group, groups);
  if (row >= params.rows) {
    return;
  }
  let C = params.C;
  let base = row * C;
  var total = 0.0;
  for (var c = lidx; c < C; c += 256u) {
    total += x[base + c];
  }
  let mean = workgroup_sum(total, lidx) / f32(C);
  var squares = 0.0;
  for (var c = lidx; c < C; c += 256u) {
    let centered = x[base + c] - mean;
    squares = fma(centered, centered, squares);
  }
  let inverse = 1.0 / sqrt(workgroup_sum(squares, lidx) / f32(C) + params.eps);
  for (var c = lidx; c < C; c += 256u) {
    out[base + c] = fma((x[base + c] - mean) * inverse, weight[c], bias[c]);
  }
}
