// Weight element access for every weight dtype. Included (concatenated) by the kernels that read
// weights; each of them declares `weights: array<u32>`. Reading everything as u32 keeps one binding
// type for all dtypes and needs no `shader-f16`.
//
// f32:        one value per word (bitcast).
// f16, bf16:  two values per word, element 2i in the low half (the little-endian upload layout).
// q8_0, q4_0: re-laid out at upload (a 34- or 18-byte GGUF block cannot be read as u32): the
//             f32 scales of all blocks first, then the quants from word `quant_base` on — 8 words
//             (32 × int8) per q8_0 block, 4 words (16 nibble bytes, GGUF order) per q4_0 block.
//
// `e` is an element index inside the bound part of the tensor.

fn weight_f32(e: u32, quant_base: u32) -> f32 {
  return bitcast<f32>(weights[e]);
}

fn weight_f16(e: u32, quant_base: u32) -> f32 {
  return unpack2x16float(weights[e >> 1u])[e & 1u];
}

fn weight_bf16(e: u32, quant_base: u32) -> f32 {
  let word = weights[e >> 1u];
  // bf16 is the top half of an f32: shift the low value up, mask the high one in place.
  return bitcast<f32>(select(word << 16u, word & 0xffff0000u, (e & 1u) == 1u));
}

fn weight_q8_0(e: u32, quant_base: u32) -> f32 {
  let scale = bitcast<f32>(weights[e >> 5u]);
  // Block b's quants are words quant_base + 8b .. + 7, so element e lives in word quant_base + e / 4.
  let word = weights[quant_base + (e >> 2u)];
  return scale * f32(extractBits(bitcast<i32>(word), (e & 3u) * 8u, 8u));
}

fn weight_q4_0(e: u32, quant_base: u32) -> f32 {
  let block = e >> 5u;
  let j = e & 31u;
  let byte_index = j & 15u;
  let word = weights[quant_base + block * 4u + (byte_index >> 2u)];
  let byte = extractBits(word, (byte_index & 3u) * 8u, 8u);
  // Byte j holds element j in its low nibble and element j + 16 in its high nibble.
  let q = select(byte & 15u, byte >> 4u, j >= 16u);
  return bitcast<f32>(weights[block]) * (f32(q) - 8.0);
}
