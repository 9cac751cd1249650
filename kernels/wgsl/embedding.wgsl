// Embedding gather: out[n, c] = table[ids[n], c], one invocation per output element, for any
// table dtype ({{WEIGHT_FN}}, see weights.wgsl). A table too large for one binding comes in row
// parts dispatched one after the other: each dispatch writes the rows whose id falls in its part,
// and the first also writes the zero rows of out-of-range ids (a GPU kernel cannot throw).

struct Params {
  size: u32,        // N · C
  C: u32,
  V: u32,
  row_begin: u32,   // first table row of this part
  row_count: u32,
  quant_base: u32,
  first_part: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> weights: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i >= params.size) {
    return;
  }
  let n = i / params.C;
  let c = i % params.C;
  let id = ids[n];
  if (id < 0 || u32(id) >= params.V) {
    if (params.first_part == 1u) {
      out[i] = 0.0;
    }
    return;
  }
  let row = u32(id);
  if (row >= params.row_begin && row < params.row_begin + params.row_count) {
    out[i] = {{WEIGHT_FN}}((row - params.row_begin) * params.C + c, params.quant_base);
  }
}
