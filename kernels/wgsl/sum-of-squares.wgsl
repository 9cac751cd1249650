// Σ x² over several tensors (the squared global gradient norm), deterministically: `partial` runs
// once per tensor, each workgroup reducing a fixed chunk of CHUNK elements to one partial sum at
// partials[partial_offset + group]; `total` then sums all partials in index order in one workgroup.
// Both trees have a fixed shape, so the result is the same on every run.

struct Params {
  size: u32,
  partial_offset: u32,
  partial_count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const CHUNK = {{CHUNK}}u;

@compute @workgroup_size(256)
fn partial(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let chunk = flat_workgroup(group, groups);
  let begin = chunk * CHUNK;
  let end = min(begin + CHUNK, params.size);
  var sum = 0.0;
  for (var i = begin + lidx; i < end; i += 256u) {
    sum = fma(x[i], x[i], sum);
  }
  sum = workgroup_sum(sum, lidx);
  if (lidx == 0u && begin < params.size) {
    partials[params.partial_offset + chunk] = sum;
  }
}

@compute @workgroup_size(256)
fn total(@builtin(local_invocation_index) lidx: u32) {
  var sum = 0.0;
  for (var i = lidx; i < params.partial_count; i += 256u) {
    sum += partials[i];
  }
  sum = workgroup_sum(sum, lidx);
  if (lidx == 0u) {
    out[0] = sum;
  }
}
