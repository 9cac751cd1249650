import { WebGPUNotAvailableError } from '../errors.js';

/** How to find the GPU; every field is optional (see `createWebGPUBackend`). */
export interface WebGPUDeviceOptions {
  /** A `GPU` object (`navigator.gpu`, or `create([])` from the `webgpu` package). */
  gpu?: GPU;
  /** Use this adapter instead of requesting one. */
  adapter?: GPUAdapter;
  /** Use this device as is (its features and limits decide which kernel variants run). */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
}

export interface AcquiredDevice {
  device: GPUDevice;
  /** The adapter's identity, when it is known (absent if only a device was passed in). */
  adapterInfo?: GPUAdapterInfo;
  isFallbackAdapter: boolean;
  subgroups: boolean;
  /**
   * The `GPU` and adapter the device came from, held for the device's lifetime: Dawn in Node tears
   * its instance down when the `GPU` object is garbage collected, and a device outliving it aborts
   * the process (a caller's `gpu: create([])` is otherwise unreferenced once this returns).
   */
  readonly origin?: { gpu?: GPU; adapter?: GPUAdapter };
}

/** Limits worth raising to the adapter's maximum: big weight buffers and big workgroups. */
const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
] as const;

let nodeGpu: Promise<GPU | undefined> | undefined;

/**
 * Node has no `navigator.gpu`; the `webgpu` package (Dawn) provides one. Imported lazily through a
 * variable so that browser bundlers neither resolve nor include it.
 */
function loadNodeGpu(): Promise<GPU | undefined> {
  nodeGpu ??= (async () => {
    const moduleName = 'webgpu';
    try {
      const { create, globals } = (await import(/* @vite-ignore */ moduleName)) as {
        create(flags: string[]): GPU;
        globals: Record<string, unknown>;
      };
      Object.assign(globalThis, globals);
      return create([]);
    } catch {
      return undefined;
    }
  })();
  return nodeGpu;
}

async function findGpu(options: WebGPUDeviceOptions): Promise<GPU> {
  if (options.gpu) return options.gpu;
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navigatorGpu) return navigatorGpu;
  const isNode = typeof process !== 'undefined' && Boolean(process.versions?.node);
  const gpu = isNode ? await loadNodeGpu() : undefined;
  if (!gpu) throw new WebGPUNotAvailableError(isNode ? 'the `webgpu` package could not be loaded' : 'navigator.gpu is missing');
  return gpu;
}

/**
 * An adapter from the same discovery `createWebGPUBackend` uses (one Dawn instance per process in
 * Node: a second `create()` can crash it at exit), for callers that create their own device.
 */
export async function requestAdapter(options: WebGPUDeviceOptions = {}): Promise<GPUAdapter> {
  return (await findAdapter(options)).adapter;
}

async function findAdapter(options: WebGPUDeviceOptions): Promise<{ gpu: GPU; adapter: GPUAdapter }> {
  const gpu = await findGpu(options);
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
  if (!adapter) {
    throw new WebGPUNotAvailableError('requestAdapter() returned no adapter (no GPU, or no Vulkan/Metal/D3D12 driver found)');
  }
  return { gpu, adapter };
}

export async function acquireDevice(options: WebGPUDeviceOptions = {}): Promise<AcquiredDevice> {
  if (options.device) {
    return {
      device: options.device,
      adapterInfo: options.adapter?.info,
      isFallbackAdapter: false,
      subgroups: options.device.features.has('subgroups'),
      origin: { gpu: options.gpu, adapter: options.adapter },
    };
  }
  const { gpu, adapter } = options.adapter ? { gpu: options.gpu, adapter: options.adapter } : await findAdapter(options);
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const subgroups = adapter.features.has('subgroups');
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: 'cria',
      requiredFeatures: subgroups ? ['subgroups' as GPUFeatureName] : [],
      requiredLimits,
    });
  } catch (error) {
    throw new WebGPUNotAvailableError(`requestDevice() failed: ${(error as Error).message}`);
  }
  const legacyFallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    device,
    adapterInfo: adapter.info,
    isFallbackAdapter: Boolean((adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? legacyFallback),
    subgroups,
    origin: { gpu, adapter },
  };
}

/** "webgpu: Google SwiftShader Device (Subzero) — SwiftShader, a CPU emulation: expect it to be slow". */
export function describeAdapter(acquired: AcquiredDevice): string {
  const info = acquired.adapterInfo;
  if (!info) return 'webgpu: caller-provided device (adapter unknown)';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((part) => part && part.length > 0);
  const unique = [...new Set(parts)];
  const name = unique.length ? unique.join(' ') : 'unnamed adapter';
  const software = /swiftshader/i.test(parts.join(' ')) || acquired.isFallbackAdapter;
  return `webgpu: ${name}${software ? ' — SwiftShader/software adapter, a CPU emulation: expect it to be slow' : ''}`;
}

export function describeDevice(acquired: AcquiredDevice): Record<string, unknown> {
  const { device, adapterInfo } = acquired;
  const limits = device.limits;
  return {
    vendor: adapterInfo?.vendor,
    architecture: adapterInfo?.architecture,
    device: adapterInfo?.device,
    description: adapterInfo?.description,
    isFallbackAdapter: acquired.isFallbackAdapter,
    subgroups: acquired.subgroups,
    features: [...device.features].sort(),
    limits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    },
  };
}
