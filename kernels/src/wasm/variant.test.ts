import { describe, expect, it } from 'vitest';
import { WasmNotSupportedError } from '../errors.js';
import { KERNEL_BINARIES_BASE64 } from './generated/kernel-binaries.js';
import { KERNEL_NAMES } from './kernel-exports.js';
import { RELAXED_SIMD_PROBE, SIMD_PROBE, detectVariantSupport, selectVariant } from './variant.js';

describe('variant selection', () => {
  it('the probes validate in this engine (vitest runs node with --experimental-wasm-relaxed-simd)', () => {
    expect(WebAssembly.validate(SIMD_PROBE)).toBe(true);
    expect(WebAssembly.validate(RELAXED_SIMD_PROBE)).toBe(true);
    expect(detectVariantSupport()).toEqual({ simd: true, relaxed: true });
  });

  it('the relaxed probe is rejected where its opcode is unknown', () => {
    const corrupted = RELAXED_SIMD_PROBE.slice();
    corrupted[corrupted.length - 2] = 0x7f; // 0xfd 0x85 0x7f: an opcode no engine defines
    expect(WebAssembly.validate(corrupted)).toBe(false);
    const support = detectVariantSupport((bytes) => bytes !== RELAXED_SIMD_PROBE && WebAssembly.validate(bytes));
    expect(support).toEqual({ simd: true, relaxed: false });
  });

  it('auto prefers relaxed SIMD and falls back to plain SIMD', () => {
    expect(selectVariant('auto', { simd: true, relaxed: true })).toBe('relaxed');
    expect(selectVariant('auto', { simd: true, relaxed: false })).toBe('simd');
    expect(selectVariant('simd', { simd: true, relaxed: true })).toBe('simd');
  });

  it('an explicit relaxed request without support, or no SIMD at all, is a WasmNotSupportedError with a fix', () => {
    expect(() => selectVariant('relaxed', { simd: true, relaxed: false })).toThrow(/--experimental-wasm-relaxed-simd/);
    expect(() => selectVariant('auto', { simd: false, relaxed: false })).toThrow(WasmNotSupportedError);
  });
});

/** Section ids of a wasm binary, in order (id 11 = data). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8;
  while (at < bytes.length) {
    ids.push(bytes[at++]!);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++]!;
      size |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    at += size;
  }
  return ids;
}

describe.each(Object.keys(KERNEL_BINARIES_BASE64) as (keyof typeof KERNEL_BINARIES_BASE64)[])('build %s', (build) => {
  const bytes = Uint8Array.from(atob(KERNEL_BINARIES_BASE64[build]), (c) => c.charCodeAt(0));

  it('imports only its memory (shared in threaded builds) and exports every kernel', () => {
    const module = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const exported = WebAssembly.Module.exports(module).map((entry) => entry.name);
    for (const name of KERNEL_NAMES) expect(exported).toContain(name);
  });

  it('has no data segments, so a worker instance re-copies nothing into shared memory', () => {
    expect(sectionIds(bytes)).not.toContain(11);
  });

  it(`uses relaxed SIMD only in the relaxed builds`, () => {
    const relaxed = build.startsWith('relaxed');
    // Without relaxed SIMD a relaxed build fails validation; a plain build never needs it.
    expect(WebAssembly.validate(bytes)).toBe(true);
    const hasRelaxedOpcode = Array.from(bytes).some((byte, i) => byte === 0xfd && (bytes[i + 2] === 0x02) && bytes[i + 1]! >= 0x80 && bytes[i + 1]! <= 0x93);
    if (!relaxed) expect(hasRelaxedOpcode).toBe(false);
  });
});
