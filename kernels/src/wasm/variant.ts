import { WasmNotSupportedError } from '../errors.js';

/**
 * Which build of the kernels this engine can run. There is no feature detection inside wasm, so we
 * ask `WebAssembly.validate` about two tiny modules: one using a SIMD instruction, one using
 * `f32x4.relaxed_madd` (Node 20 needs --experimental-wasm-relaxed-simd; Chrome 114+ has it).
 */
export type WasmVariant = 'simd' | 'relaxed';
export type WasmVariantOption = WasmVariant | 'auto';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
/** One type, () → v128, and one function of that type. */
const SIGNATURE = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00];
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];

function moduleWithBody(instructions: number[]): Uint8Array<ArrayBuffer> {
  const body = [0x00, ...instructions, 0x0b]; // no locals, ..., end
  return new Uint8Array([...HEADER, ...SIGNATURE, 0x0a, body.length + 2, 0x01, body.length, ...body]);
}

/** (func (result v128) i32.const 0 i8x16.splat) */
export const SIMD_PROBE = moduleWithBody([0x41, 0x00, 0xfd, 0x0f]);
/** (func (result v128) v128.const 0 v128.const 0 v128.const 0 f32x4.relaxed_madd) — opcode 0xfd 0x105 */
export const RELAXED_SIMD_PROBE = moduleWithBody([...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 0xfd, 0x85, 0x02]);

export interface VariantSupport {
  simd: boolean;
  relaxed: boolean;
}

export function detectVariantSupport(validate: (bytes: Uint8Array<ArrayBuffer>) => boolean = (bytes) => WebAssembly.validate(bytes)): VariantSupport {
  const simd = typeof WebAssembly !== 'undefined' && validate(SIMD_PROBE);
  return { simd, relaxed: simd && validate(RELAXED_SIMD_PROBE) };
}

/** Resolves the requested variant against what the engine supports; `auto` prefers relaxed. */
export function selectVariant(requested: WasmVariantOption, support: VariantSupport): WasmVariant {
  if (!support.simd) {
    throw new WasmNotSupportedError(
      'this JavaScript engine does not support WebAssembly SIMD (128-bit), which the wasm backend needs',
      'use Node 16.4+, Chrome 91+, Firefox 89+ or Safari 16.4+, or the webgpu / reference backend',
    );
  }
  if (requested === 'relaxed' && !support.relaxed) {
    throw new WasmNotSupportedError(
      'WebAssembly relaxed SIMD is not available in this engine',
      "in Node 20 start node with --experimental-wasm-relaxed-simd (on by default from Node 22); or pass variant: 'simd' or 'auto'",
    );
  }
  if (requested === 'simd') return 'simd';
  return support.relaxed ? 'relaxed' : 'simd';
}
