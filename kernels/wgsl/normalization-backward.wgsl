// Backward of the row-wise ops, one 256-invocation workgroup per row (rows spread over x and y of
// the grid), plus the column reduction of rmsnorm's weight gradient. Gradients ACCUMULATE (+=).
//   rmsnorm, y = x·r·w with r = (Σx²/C + eps)^(−1/2):
//     dx += r·w·dy − x·r³/C · Σ dy·w·x        (rows pass, which also saves r per row)
//     dw += Σ_rows dy·x·r                     (weight pass: one invocation per column, rows in
//                                              order, so the sum is deterministic without atomics)
//   softmax, y = softmax(x): dx += y ⊙ (dy − Σ dy ⊙ y)

struct Params {
  rows: u32,
  C: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;        // softmax: the forward's output y
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> inverses: array<f32>; // [rows] r, scratch
@group(0) @binding(6) var<storage, read_write> dweight: array<f32>;

@compute @workgroup_size(256)
fn rmsnorm_rows(
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
  var projection = 0.0;
  for (var c = lidx; c < C; c += 256u) {
    let value = x[base + c];
    squares = fma(value, value, squares);
    projection = fma(dout[base + c] * weight[c], value, projection);
  }
  let inverse = 1.0 / sqrt(workgroup_sum(squares, lidx) / f32(C) + params.eps);
  let correction = workgroup_sum(projection, lidx) * inverse * inverse * inverse / f32(C);
  for (var c = lidx; c < C; c += 256u) {
    dx[base + c] += inverse * weight[c] * dout[base + c] - x[base + c] * correction;
  }
  if (lidx == 0u) {
    inverses[row] = inverse;
  }
}

@compute @workgroup_size(256)
fn rmsnorm_weight(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
) {
  let c = flat_invocation(group, groups, lidx);
  if (c >= params.C) {
    return;
  }
  var sum = 0.0;
  for (var row = 0u; row < params.rows; row++) {
    let i = row * params.C + c;
    sum = fma(dout[i] * x[i], inverses[row], sum);
  }
  dweight[c] += sum;
}

@compute @workgroup_size(256)
fn softmax(
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
  var dot = 0.0;
  for (var c = lidx; c < C; c += 256u) {
    dot = fma(dout[base + c], x[base + c], dot);
  }
  dot = workgroup_sum(dot, lidx);
  for (var c = lidx; c < C; c += 256u) {
    dx[base + c] += x[base + c] * (dout[base + c] - dot);
  }
}
