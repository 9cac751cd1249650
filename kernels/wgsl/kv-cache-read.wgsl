// The KV cache bindings of both attention shaders (included in front of them): keys at binding 2,
// values at binding 3, layout [B, S, nKvHeads, D]. key_at / value_at give element i as f32: f32
// caches hold one per element, f16 caches two halves per u32 word (element 2w in the low bits);
// {{KV_ELEMENT}}, {{KEY_AT}} and {{VALUE_AT}} come from attention.ts `kvDefines`.

@group(0) @binding(2) var<storage, read> k: array<{{KV_ELEMENT}}>;
@group(0) @binding(3) var<storage, read> v: array<{{KV_ELEMENT}}>;

// Element i of the key / value cache as f32: f32 caches hold one per element, f16 caches two
// halves per u32 word (element 2w in the low bits; attention.ts `kvDefines`).
fn key_at(i: u32) -> f32 {
  return {{KEY_AT}};
}

fn value_at(i: u32) -> f32 {
  return {{VALUE_AT}};
}
