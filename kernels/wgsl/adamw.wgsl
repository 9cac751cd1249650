// Fused AdamW step (PyTorch's torch.optim.AdamW: decoupled decay first, bias-corrected moments),
// one invocation per parameter. The bias corrections come from the host in f64. With clipping the
// gradient scale includes min(1, max_norm / (√sumOfSquares + 1e-6)), read from the GPU buffer that
// `sumOfSquares` wrote: no host round trip between the grad-norm reduction and the update.

struct Params {
  size: u32,
  has_clip: u32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  decay: f32,        // 1 − learningRate · weightDecay
  step_size: f32,    // learningRate / (1 − β1^step)
  correction2: f32,  // 1 − β2^step
  grad_scale: f32,
  max_norm: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read> sum_of_squares: array<f32>;
@group(0) @binding(3) var<storage, read_write> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i >= params.size) {
    return;
  }
  var scale = params.grad_scale;
  if (params.has_clip == 1u) {
    scale *= min(1.0, params.max_norm / (sqrt(sum_of_squares[0]) + 1e-6));
  }
  let g = grads[i] * scale;
  let mi = params.beta1 * m[i] + (1.0 - params.beta1) * g;
  let vi = params.beta2 * v[i] + (1.0 - params.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  weights[i] = weights[i] * params.decay - params.step_size * (mi / (sqrt(vi / params.correction2) + params.eps));
}
