// Rotary position embedding, one invocation per rotated pair (B · T · nHeads · D/2 of them).
// 'interleaved' ({{HALF}} = false) rotates (2i, 2i + 1); 'half' ({{HALF}} = true) rotates (i, i + D/2).
// The backward ({{BACKWARD}} = true) is the transposed rotation, i.e. by −angle, added into out
// (gradients accumulate); x is then dout and out is dx.
// The angle's cosine and sine come from rope-angle.wgsl.

struct Params {
  pairs: u32,     // B · T · nHeads · D/2
  half_dim: u32,  // D / 2
  n_heads: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<i32>;
@group(0) @binding(3) var<storage, read> frequencies: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const HALF = {{HALF}};
const BACKWARD = {{BACKWARD}};

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
) {
  let pair = flat_invocation(group, groups, lidx);
  if (pair >= params.pairs) {
    return;
  }
  let i = pair % params.half_dim;
  let head_row = pair / params.half_dim;       // (b · T + t) · nHeads + h
  let token = head_row / params.n_heads;       // b · T + t
  let turn = cos_sin(f32(positions[token]) * frequencies[i]);
  let c = turn.x;
  let s = select(turn.y, -turn.y, BACKWARD);

  let base = head_row * params.half_dim * 2u;
  var first: u32;
  var second: u32;
  if (HALF) {
    first = base + i;
    second = first + params.half_dim;
  } else {
    first = base + 2u * i;
    second = first + 1u;
  }
  let x0 = x[first];
  let x1 = x[second];
  if (BACKWARD) {
    out[first] += x0 * c - x1 * s;
    out[second] += x0 * s + x1 * c;
  } else {
    out[first] = x0 * c - x1 * s;
    out[second] = x0 * s + x1 * c;
  }
}
