import type { Tensor } from '../../tensor.js';
import type { CommandRecorder } from '../command-recorder.js';
import type { PipelineCache } from '../pipeline-cache.js';
import type { GpuStorage } from '../tensor-layout.js';

/** What an op needs from the backend: storage lookups, pipelines, the recorder, scratch memory. */
export interface OpContext {
  readonly recorder: CommandRecorder;
  readonly pipelines: PipelineCache;
  /** The device's maxComputeWorkgroupStorageSize, which sizes attention tiles. */
  readonly workgroupStorageBytes: number;
  /** The tensor's GPU storage (all parts). */
  storage(tensor: Tensor): GpuStorage;
  /** The one binding of a tensor a kernel reads as a single array; refuses split tensors. */
  binding(tensor: Tensor, op: string, argument: string): GPUBufferBinding;
  /** A temporary storage buffer, released after the next submit. */
  scratch(byteLength: number): GPUBufferBinding;
  /** f32 θ^(−2i/D) for i < D/2, computed in f64 on the host, cached per (θ, D). */
  ropeFrequencies(theta: number, headDim: number, inverseFrequencies?: Float32Array): GPUBufferBinding;
}

export const WORKGROUP_SIZE = 256;
const MAX_GROUPS_PER_DIMENSION = 65535;

/** A 2D grid of `groups` workgroups, for kernels that flatten it with `flat_workgroup` / `flat_invocation` (grid.wgsl). */
export function grid(groups: number): [number, number, number] {
  const x = Math.max(1, Math.min(groups, MAX_GROUPS_PER_DIMENSION));
  return [x, Math.max(1, Math.ceil(groups / x)), 1];
}

export const u32 = (value: number) => ({ u32: value });
export const f32 = (value: number) => ({ f32: value });
