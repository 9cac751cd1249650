import { KERNEL_BINARIES_BASE64 } from './generated/kernel-binaries.js';
import type { WasmVariant } from './variant.js';

/**
 * The compiled kernel modules. The bytes come base64-encoded from a generated TypeScript module
 * (see scripts/build-wasm.mjs for why), are decoded once, and each build is compiled once per
 * process; backends and workers share the compiled `WebAssembly.Module`.
 */
export type BuildName = keyof typeof KERNEL_BINARIES_BASE64;

export function buildName(variant: WasmVariant, sharedMemory: boolean): BuildName {
  return sharedMemory ? `${variant}-threads` : variant;
}

const compiled = new Map<BuildName, Promise<WebAssembly.Module>>();

export function compileKernels(build: BuildName): Promise<WebAssembly.Module> {
  let module = compiled.get(build);
  if (!module) {
    module = WebAssembly.compile(decodeBase64(KERNEL_BINARIES_BASE64[build]));
    compiled.set(build, module);
  }
  return module;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
