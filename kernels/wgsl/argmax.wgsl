// Row-wise argmax, one 256-invocation workgroup per row: each invocation scans a strided slice,
// then a tree reduction keeps the larger value, or on a tie the lower index (the reference's
// "first maximum" rule, which greedy sampling relies on to be deterministic across backends).

struct Params {
  rows: u32,
  C: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;

var<workgroup> best_values: array<f32, 256>;
var<workgroup> best_indices: array<u32, 256>;

fn better(value: f32, index: u32, than_value: f32, than_index: u32) -> bool {
  return value > than_value || (value == than_value && index < than_index);
}

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
  let base = row * params.C;
  var best_value = -3.4e38;
  var best_index = 0xffffffffu;
  for (var c = lidx; c < params.C; c += 256u) {
    let value = x[base + c];
    if (best_index == 0xffffffffu || value > best_value) {
      best_value = value;
      best_index = c;
    }
  }
  best_values[lidx] = best_value;
  best_indices[lidx] = best_index;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lidx < stride) {
      let other_value = best_values[lidx + stride];
      let other_index = best_indices[lidx + stride];
      if (other_index != 0xffffffffu && (best_indices[lidx] == 0xffffffffu ||
          better(other_value, other_index, best_values[lidx], best_indices[lidx]))) {
        best_values[lidx] = other_value;
        best_indices[lidx] = other_index;
      }
    }
    workgroupBarrier();
  }
  if (lidx == 0u) {
    out[row] = i32(best_indices[0]);
  }
}
