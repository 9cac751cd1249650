// Backward of the element-wise ops, one invocation per element (grid spread over x and y).
// Gradients ACCUMULATE (+=). Binding 2 (`factor`) is the other operand where one is needed: x for
// the activations, gate for swiglu, b for mul's da and a for mul's db.
//   *_a entry points: da[i] += dout[i] · (factor[i % b_size] for mul, 1 for add)
//   *_b entry points: db[j] += Σ_{i ≡ j mod b_size} dout[i] · (factor[i] for mul, 1 for add), one
//     invocation per element of b summing in index order: deterministic, no float atomics.

struct Params {
  size: u32,
  b_size: u32,
  factor: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> factor: array<f32>;
@group(0) @binding(3) var<storage, read> up: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> dup: array<f32>;

const GELU_COEFFICIENT = 0.7978845608028654; // sqrt(2 / π)

fn sigmoid(value: f32) -> f32 {
  // exp(−value) overflows to +inf below −88: 1 / inf = 0, the right limit.
  return 1.0 / (1.0 + exp(-value));
}

fn silu_derivative(value: f32) -> f32 {
  let s = sigmoid(value);
  return s * (1.0 + value * (1.0 - s));
}

@compute @workgroup_size(256)
fn silu(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    dx[i] += dout[i] * silu_derivative(factor[i]);
  }
}

@compute @workgroup_size(256)
fn gelu(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    let value = factor[i];
    // gelu(x) = x·σ(2u), u = c·(x + 0.044715x³), as the forward (clamped so exp stays finite).
    let inner = clamp(GELU_COEFFICIENT * (value + 0.044715 * value * value * value), -40.0, 40.0);
    let s = sigmoid(2.0 * inner);
    let derivative = s + value * s * (1.0 - s) * 2.0 * GELU_COEFFICIENT * (1.0 + 3.0 * 0.044715 * value * value);
    dx[i] += dout[i] * derivative;
  }
}

@compute @workgroup_size(256)
fn swiglu(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    let gate = factor[i];
    dx[i] += dout[i] * up[i] * silu_derivative(gate);
    dup[i] += dout[i] * gate * sigmoid(gate);
  }
}

@compute @workgroup_size(256)
fn scale(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    dx[i] += params.factor * dout[i];
  }
}

@compute @workgroup_size(256)
fn add_a(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    dx[i] += dout[i];
  }
}

@compute @workgroup_size(256)
fn mul_a(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.size) {
    dx[i] += dout[i] * factor[i % params.b_size];
  }
}

@compute @workgroup_size(256)
fn add_b(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let j = flat_invocation(group, groups, lidx);
  if (j < params.b_size) {
    var sum = 0.0;
    for (var i = j; i < params.size; i += params.b_size) {
      sum += dout[i];
    }
    dup[j] += sum;
  }
}

@compute @workgroup_size(256)
fn mul_b(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let j = flat_invocation(group, groups, lidx);
  if (j < params.b_size) {
    var sum = 0.0;
    for (var i = j; i < params.size; i += params.b_size) {
      sum = fma(dout[i], factor[i], sum);
    }
    dup[j] += sum;
  }
}
