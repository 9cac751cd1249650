// Element-wise ops (silu_of from silu.wgsl), one invocation per element (the grid spread over x and y so that more than
// 65535 · 256 elements fit). One entry point per op; binding 2 is only used by the binary ones.
//   add, mul: b broadcast over a's leading dimensions — b[i % b_size].

struct Params {
  size: u32,
  b_size: u32,
  factor: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const GELU_COEFFICIENT = 0.7978845608028654; // sqrt(2 / π)

@compute @workgroup_size(256)
fn silu(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    out[i] = silu_of(a[i]);
  }
}

@compute @workgroup_size(256)
fn gelu(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    let value = a[i];
    // 0.5 · x · (1 + tanh(u)) = x · sigmoid(2u) = x / (1 + exp(−2u)). Written with exp, not tanh:
    // for negative x, 1 + tanh(u) cancels and a GPU tanh's absolute error becomes a large relative
    // one; tanh of a large argument even returns NaN on some implementations. The clamp keeps
    // exp finite (beyond it the result is x · 1e-35 or x to f32 precision anyway).
    let inner = clamp(GELU_COEFFICIENT * (value + 0.044715 * value * value * value), -40.0, 40.0);
    out[i] = value / (1.0 + exp(-2.0 * inner));
  }
}

@compute @workgroup_size(256)
fn scale(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    out[i] = a[i] * params.factor;
  }
}

@compute @workgroup_size(256)
fn swiglu(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    out[i] = silu_of(a[i]) * b[i];
  }
}

@compute @workgroup_size(256)
fn add(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    out[i] = a[i] + b[i % params.b_size];
  }
}

@compute @workgroup_size(256)
fn mul(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    out[i] = a[i] * b[i % params.b_size];
  }
}
