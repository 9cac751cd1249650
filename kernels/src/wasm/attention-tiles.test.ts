import { afterAll, describe, expect, it } from "vitest";
import { toF16 } from "../numeric/half.js";
import { createReferenceBackend } from "../reference/reference-backend.js";
import { Random } from "../testing/random.js";
import { createWasmBackend } from "./create-wasm-backend.js";

/**
 * wasm prefill attention hands each thread tiles of up to 64 query rows of one KV group — (token,
 * head) pairs, token-major — that walk the keys together (assembly/ops/attention.ts). The op
 * harness's random shapes fit one tile per group; these shapes cross its edges: several tiles per
 * group with a last partial one, rows of one token whose keys end at different blocks, and a group
 * wider than a tile (a token's heads split across two tiles, so a tile starts mid-token).
 */
const reference = createReferenceBackend();
afterAll(() => reference.dispose());
const random = new Random(20261123);

const SHAPES = [
  // name, T, kvLength, heads, kvHeads, D
  ["GQA 9:3, 3 tiles per group, 130 past keys", 50, 180, 9, 3, 64],
  ["GQA 32:4, 9 tiles per group, keys from the prompt only", 70, 70, 32, 4, 16],
  ["a group of 65 heads: tiles start mid-token", 6, 9, 130, 2, 8],
  ["odd D with a scalar tail, one head per group", 23, 140, 3, 3, 13],
] as const;

describe("wasm prefill attention tiles", () => {
  const cases = SHAPES.flatMap(([name, T, kvLength, heads, kvHeads, D]) =>
    (["f32", "f16"] as const).map((kvType) => ({
      name,
      T,
      kvLength,
      heads,
      kvHeads,
      D,
      kvType,
    }))
  );
  it.each(cases)(
    "$name, $kvType cache: matches the reference",
    async ({ T, kvLength, heads, kvHeads, D, kvType }) => {
      const S = kvLength + 3;
      const q = random.normals(T * heads * D);
      const k = random.normals(S * kvHeads * D);
      const v = random.normals(S * kvHeads * D);
      const run = async (backend: typeof reference) => {
        const out = backend.tensor("f32", [1, T, heads, D]);
        backend.attention({
          out,
          q: backend.tensor("f32", [1, T, heads, D], q),
          k: backend.tensor(
            kvType,
            [1, S, kvHeads, D],
            kvType === "f16" ? toF16(k) : k
          ),
          v: backend.tensor(
            kvType,
            [1, S, kvHeads, D],
            kvType === "f16" ? toF16(v) : v
          ),
          kvLength,
          scale: 1 / Math.sqrt(D),
        });
        return (await backend.read(out)) as Float32Array;
      };
      const expected = await run(reference);
      const wasm = await createWasmBackend({
        variant: "relaxed",
        threads: 2,
        parallelThreshold: 0,
      });
      try {
        const got = await run(wasm);
        let worst = 0;
        for (let i = 0; i < expected.length; i++)
          worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
        expect(worst).toBeLessThan(2e-5);
      } finally {
        wasm.dispose();
      }
    }
  );
});
