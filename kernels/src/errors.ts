/**
 * Typed errors of the compute layer. Each says what is wrong and how to fix it, and carries the
 * context (op, tensor, expected vs got) a caller needs to act on it.
 */
export class CriaKernelError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(hint ? `${message}\nHint: ${hint}` : message);
    this.name = new.target.name;
  }
}

/** An op was called with tensors of the wrong shape or dtype. */
export class ShapeMismatchError extends CriaKernelError {
  constructor(
    readonly op: string,
    readonly argument: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${op}: ${argument} should be ${expected}, got ${got}`, 'check the shapes/dtypes passed to the op against its documented signature');
  }
}

export class DTypeNotSupportedError extends CriaKernelError {
  constructor(readonly op: string, readonly argument: string, readonly dtype: string, readonly supported: readonly string[], reason?: string) {
    super(`${op}: ${argument} has dtype ${dtype}, which this op does not support${reason ? ` ${reason}` : ''}`, `use one of: ${supported.join(', ')}`);
  }
}

/** A tensor from one backend was passed to another, or used after `free`. */
export class TensorStateError extends CriaKernelError {}

/** WebGPU is missing: no `navigator.gpu`, no adapter, or the device could not be created. */
export class WebGPUNotAvailableError extends CriaKernelError {
  constructor(reason: string) {
    super(
      `WebGPU is not available: ${reason}`,
      'in a browser enable WebGPU (Chrome 113+); in Node install the `webgpu` package and, without a GPU, set VK_ICD_FILENAMES to a SwiftShader ICD (e.g. /usr/lib/chromium/vk_swiftshader_icd.json); or use backend "wasm"',
    );
  }
}

/** The GPU device was lost (driver reset, tab backgrounded, out of memory). Tensors on it are gone. */
export class DeviceLostError extends CriaKernelError {
  constructor(readonly reason: string, detail: string) {
    super(`WebGPU device lost (${reason}): ${detail}`, 'create a new backend and re-upload the weights');
  }
}

/** A request exceeds a device or memory limit. */
export class ResourceLimitError extends CriaKernelError {}

/** WebAssembly SIMD (or a build it needs) is missing. */
export class WasmNotSupportedError extends CriaKernelError {}
