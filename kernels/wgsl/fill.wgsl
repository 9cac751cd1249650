// out[i] = value, one invocation per element (zeroing gradients before a step, or any constant).

struct Params {
  size: u32,
  value: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    out[i] = params.value;
  }
}
