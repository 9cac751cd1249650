// RoPE on q and k, and k and v appended to a KV cache [B, S, nKvHeads, D], in one dispatch
// (ops.ts RopeAppendParams). Invocations [0, q_units) each write one element of q_out; then come
// k_units key-cache units and as many value-cache units: one element each into an f32 cache, or one
// u32 word — two halves, element 2w in the low bits — into an f16 cache. A token's row of
// nKvHeads · D elements starts on a word (D is even), so no two invocations share a word.
// Each element is rotated on its own, re-reading its pair partner: the 'half' style's partners sit
// D/2 apart, in another invocation's word. The cache is bound as u32 words for both dtypes (an f32
// element is stored as its bits). Eight storage bindings: exactly WebGPU's default per-stage limit.

struct Params {
  q_units: u32,    // B · T · nHeads · D
  kv_units: u32,   // B · T · nKvHeads · D (f32 cache), half that (f16 cache)
  head_dim: u32,   // D
  n_heads: u32,
  n_kv_heads: u32,
  tokens: u32,     // T
  capacity: u32,   // S
  start: u32,      // first cache position written
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> positions: array<i32>;
@group(0) @binding(5) var<storage, read> frequencies: array<f32>;
@group(0) @binding(6) var<storage, read_write> q_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> key_cache: array<u32>;
@group(0) @binding(8) var<storage, read_write> value_cache: array<u32>;

const HALF = {{HALF}};             // rope style: pairs (i, i + D/2), else (2i, 2i + 1)
const HALF_CACHE = {{HALF_CACHE}}; // f16 caches

fn is_first(d: u32) -> bool {
  if (HALF) {
    return d < params.head_dim / 2u;
  }
  return (d & 1u) == 0u;
}

// The other element of d's pair, within the head row.
fn partner(d: u32) -> u32 {
  let half_dim = params.head_dim / 2u;
  if (HALF) {
    return select(d - half_dim, d + half_dim, d < half_dim);
  }
  return d ^ 1u;
}

fn pair_index(d: u32) -> u32 {
  let half_dim = params.head_dim / 2u;
  if (HALF) {
    return select(d - half_dim, d, d < half_dim);
  }
  return d / 2u;
}

// Element d of a head row of token `token` (b · T + t) after rotation, given its value and its
// partner's: the same expressions as rope.wgsl, so both give the same bits.
fn rotated(value: f32, other: f32, d: u32, token: u32) -> f32 {
  let turn = cos_sin(f32(positions[token]) * frequencies[pair_index(d)]);
  if (is_first(d)) {
    return value * turn.x - other * turn.y;
  }
  return other * turn.y + value * turn.x;
}

fn rotated_key(e: u32) -> f32 {
  let d = e % params.head_dim;
  let token = e / (params.n_kv_heads * params.head_dim);
  return rotated(k[e], k[e - d + partner(d)], d, token);
}

// Element e of k / v ([B, T, nKvHeads, D]) → its element in the cache ([B, S, nKvHeads, D]).
fn cache_element(e: u32) -> u32 {
  let row = params.n_kv_heads * params.head_dim;
  let token = e / row;
  let b = token / params.tokens;
  let t = token % params.tokens;
  return (b * params.capacity + params.start + t) * row + e % row;
}

fn pack_halves(a: f32, b: f32) -> u32 {
  return f16_bits(bitcast<u32>(a)) | (f16_bits(bitcast<u32>(b)) << 16u);
}

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lidx: u32,
) {
  let unit = flat_invocation(group, groups, lidx);
  if (unit < params.q_units) {
    let d = unit % params.head_dim;
    let token = unit / (params.n_heads * params.head_dim);
    q_out[unit] = rotated(q[unit], q[unit - d + partner(d)], d, token);
    return;
  }
  let kv_unit = unit - params.q_units;
  if (kv_unit < params.kv_units) {
    if (HALF_CACHE) {
      let e = 2u * kv_unit;
      key_cache[cache_element(e) / 2u] = pack_halves(rotated_key(e), rotated_key(e + 1u));
    } else {
      key_cache[cache_element(kv_unit)] = bitcast<u32>(rotated_key(kv_unit));
    }
    return;
  }
  let value_unit = kv_unit - params.kv_units;
  if (value_unit < params.kv_units) {
    if (HALF_CACHE) {
      let e = 2u * value_unit;
      value_cache[cache_element(e) / 2u] = pack_halves(v[e], v[e + 1u]);
    } else {
      value_cache[cache_element(value_unit)] = bitcast<u32>(v[value_unit]);
    }
  }
}
