/**
 * What this browser offers Cria: a WebGPU adapter (or why not), WebAssembly SIMD and relaxed SIMD,
 * and what multi-threaded wasm needs (cross-origin isolation for SharedArrayBuffer).
 */
export type WebGPUReport =
  | {
      available: true;
      vendor: string;
      architecture: string;
      device: string;
      description: string;
      isFallbackAdapter: boolean;
      features: string[];
      limits: Record<string, number>;
    }
  | { available: false; reason: string };

export interface WasmReport {
  simd: boolean;
  relaxedSimd: boolean;
  /** Shared memory and atomics validate (they still need crossOriginIsolated to be instantiated shared). */
  threads: boolean;
}

export interface ThreadsReport {
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  hardwareConcurrency: number;
}

export interface EnvironmentReport {
  userAgent: string;
  webgpu: WebGPUReport;
  wasm: WasmReport;
  threads: ThreadsReport;
}

/** The limits that decide kernel shapes: buffer sizes, workgroup memory and sizes, subgroups. */
const INTERESTING_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'minSubgroupSize',
  'maxSubgroupSize',
];

// Smallest modules using one feature each, as in wasm-feature-detect: validate() is synchronous and
// compiles nothing.
const SIMD_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]; // i8x16.popcnt
const RELAXED_SIMD_PROBE = [
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11,
]; // i8x16.relaxed_swizzle
const THREADS_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11]; // shared memory + i32.atomic.load

function validates(bytes: number[]): boolean {
  try {
    return WebAssembly.validate(new Uint8Array(bytes));
  } catch {
    return false;
  }
}

function probeWasm(): WasmReport {
  return { simd: validates(SIMD_PROBE), relaxedSimd: validates(RELAXED_SIMD_PROBE), threads: validates(THREADS_PROBE) };
}

function probeThreads(): ThreadsReport {
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    hardwareConcurrency: navigator.hardwareConcurrency ?? 1,
  };
}

async function probeWebGPU(): Promise<WebGPUReport> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    const reason = isSecureContext
      ? 'navigator.gpu is missing: this browser has no WebGPU (Chrome / Edge 113+, Safari 26, Firefox 141+ on Windows), or it is turned off'
      : 'this page is not a secure context: WebGPU needs https:// or http://localhost';
    return { available: false, reason };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { available: false, reason: `requestAdapter() threw: ${(error as Error).message}` };
  }
  if (!adapter) {
    return {
      available: false,
      reason: 'requestAdapter() returned no adapter: the GPU is blocklisted or WebGPU is disabled (see chrome://gpu; headless Chromium needs --enable-unsafe-webgpu)',
    };
  }
  const info = adapter.info;
  const limits: Record<string, number> = {};
  const adapterLimits = adapter.limits as unknown as Record<string, number | undefined>;
  // Subgroup sizes moved from the limits to the adapter info (subgroupMinSize, …) in 2025; read both.
  const infoFields = (info ?? {}) as unknown as Record<string, unknown>;
  const infoNames: Record<string, string> = { minSubgroupSize: 'subgroupMinSize', maxSubgroupSize: 'subgroupMaxSize' };
  for (const name of INTERESTING_LIMITS) {
    const value = adapterLimits[name] ?? infoFields[infoNames[name] ?? name];
    if (typeof value === 'number') limits[name] = value;
  }
  return {
    available: true,
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    // `isFallbackAdapter` moved from the adapter to its info in 2024; read either.
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features: [...adapter.features].sort(),
    limits,
  };
}

export async function probeEnvironment(): Promise<EnvironmentReport> {
  return { userAgent: navigator.userAgent, webgpu: await probeWebGPU(), wasm: probeWasm(), threads: probeThreads() };
}

/** "google swiftshader", "apple metal-3", … : the adapter as one readable name. */
export function adapterName(report: WebGPUReport): string {
  if (!report.available) return 'none';
  const parts = [report.vendor, report.architecture, report.device, report.description].filter((part) => part !== '');
  return parts.length ? [...new Set(parts)].join(' ') : 'unnamed adapter';
}
