// Copies into an f16 tensor, which the GPU holds as u32 words of two halves (element 2w in the
// low 16 bits of word w): `from_f32` rounds f32 values with `f16_bits` (half-bits.wgsl),
// `from_f16` moves halves. One invocation per output word; a word the range covers only half of
// keeps its other half, so any offset and count work.

struct Params {
  count: u32,
  x_offset: u32,
  out_offset: u32,
  first_word: u32,
  words: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

fn source_half(i: u32, from_f32: bool) -> u32 {
  if (from_f32) {
    return f16_bits(x[i]);
  }
  return (x[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu;
}

fn copy_word(w: u32, from_f32: bool) {
  let begin = params.out_offset;
  let end = begin + params.count;
  let first = 2u * w;
  var word = 0u;
  if (first < begin || first + 2u > end) {
    word = out[w];
  }
  for (var j = 0u; j < 2u; j++) {
    let e = first + j;
    if (e >= begin && e < end) {
      let shift = 16u * j;
      word = (word & ~(0xffffu << shift)) | (source_half(params.x_offset + e - begin, from_f32) << shift);
    }
  }
  out[w] = word;
}

@compute @workgroup_size(256)
fn from_f32(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.words) {
    copy_word(params.first_word + i, true);
  }
}

@compute @workgroup_size(256)
fn from_f16(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lidx: u32) {
  let i = flat_invocation(group, groups, lidx);
  if (i < params.words) {
    copy_word(params.first_word + i, false);
  }
}
