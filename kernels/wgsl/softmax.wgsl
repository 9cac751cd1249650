// Row-wise softmax over the last dimension, one 256-invocation workgroup per row: a max pass, a
// sum-of-exponentials pass, then the normalised write (three reads of the row, no scratch buffer).

struct Params {
  rows: u32,
  C: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(
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
  var maximum = -3.4e38;
  for (var c = lidx; c < C; c += 256u) {
    maximum = max(maximum, x[base + c]);
  }
  maximum = workgroup_max(maximum, lidx);
  var total = 0.0;
  for (var c = lidx; c < C; c += 256u) {
    total += exp(x[base + c] - maximum);
  }
  let inverse = 1.0 / workgroup_sum(total, lidx);
  for (var c = lidx; c < C; c += 256u) {
    out[base + c] = exp(x[base + c] - maximum) * inverse;
  }
}
