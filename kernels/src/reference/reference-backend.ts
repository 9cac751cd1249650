import type { Backend, BackendInfo } from '../backend.js';
import type { DType, HostArray } from '../dtype.js';
import type {
  AddRmsNormParams,
  ArgmaxParams,
  AttentionParams,
  BinaryParams,
  CopyParams,
  EmbeddingParams,
  LayerNormParams,
  MatmulParams,
  MatmulSwigluParams,
  RmsNormParams,
  RopeAppendParams,
  RopeParams,
  ScaleParams,
  SwigluParams,
  UnaryParams,
} from '../ops.js';
import { ShapeMismatchError } from '../errors.js';
import { f32ToF16Bits } from '../numeric/half.js';
import { Tensor, assertLive } from '../tensor.js';
import * as check from '../validate.js';
import * as kernels from './kernels.js';
import { referenceTrainingOps } from './reference-training.js';
import { allocateHost, asFloat32, copyInto } from './storage.js';
import type { TrainingOps } from '../training-ops.js';

/**
 * The oracle backend: tensors are host typed arrays, ops are the plain loops in `kernels.ts`.
 * Also usable for tiny models where no wasm or GPU is available. Implements TrainingOps too.
 */
export class ReferenceBackend implements Backend {
  readonly name = 'reference' as const;
  readonly info: BackendInfo = { name: 'reference', description: 'reference (TypeScript, f64 accumulation)', details: {} };

  tensor(dtype: DType, shape: readonly number[], data?: ArrayBufferView): Tensor {
    check.checkNewTensor(dtype, shape);
    const tensor = new Tensor(this.name, dtype, [...shape], allocateHost(dtype, shape.reduce((a, b) => a * b, 1)));
    if (data) this.write(tensor, data);
    return tensor;
  }

  write(tensor: Tensor, data: ArrayBufferView): void {
    assertLive(tensor, this.name, 'write');
    copyInto(tensor, this.storage(tensor), data);
  }

  async read(tensor: Tensor): Promise<HostArray> {
    assertLive(tensor, this.name, 'read');
    return this.storage(tensor).slice() as HostArray;
  }

  async readInto(tensor: Tensor, target: ArrayBufferView): Promise<void> {
    assertLive(tensor, this.name, 'readInto');
    const source = this.storage(tensor);
    if (target.byteLength !== source.byteLength) {
      throw new ShapeMismatchError('readInto', 'target', `${source.byteLength} bytes for ${tensor}`, `${target.byteLength} bytes`);
    }
    new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
  }

  reshape(tensor: Tensor, shape: readonly number[]): Tensor {
    assertLive(tensor, this.name, 'reshape');
    check.checkReshape(tensor, shape);
    return new Tensor(this.name, tensor.dtype, [...shape], tensor.handle, tensor.storageOwner);
  }

  /** Storage is garbage-collected once no tensor (or view) refers to it. */
  free(tensor: Tensor): void {
    assertLive(tensor, this.name, 'free');
    tensor.markFreed();
  }

  async sync(): Promise<void> {}

  dispose(): void {}

  matmul(params: MatmulParams): void {
    this.live('matmul', params.out, params.a, params.b);
    const { batch, M, N, K, broadcastB } = check.checkMatmul(params);
    kernels.matmul(this.f32(params.out), this.f32(params.a), this.values(params.b), batch, M, N, K, params.transposeB, broadcastB);
  }

  matmulSwiglu(params: MatmulSwigluParams): void {
    this.live('matmulSwiglu', params.out, params.a, params.b, params.gate);
    const { batch, M, N, K, broadcastB } = check.checkMatmulSwiglu(params);
    const [out, gate] = [this.f32(params.out), this.f32(params.gate)];
    kernels.matmul(out, this.f32(params.a), this.values(params.b), batch, M, N, K, true, broadcastB);
    for (let i = 0; i < out.length; i++) out[i] = kernels.silu(gate[i]!) * out[i]!;
  }

  attention(params: AttentionParams): void {
    this.live('attention', params.out, params.q, params.k, params.v);
    const { B, T, S, nHeads, nKvHeads, D, kvLength } = check.checkAttention(params);
    kernels.attention(
      this.f32(params.out),
      this.f32(params.q),
      this.values(params.k),
      this.values(params.v),
      B,
      T,
      S,
      nHeads,
      nKvHeads,
      D,
      kvLength,
      params.scale,
    );
  }

  rmsnorm(params: RmsNormParams): void {
    this.live('rmsnorm', params.out, params.x, params.weight);
    const { rows, C } = check.checkRmsNorm(params);
    kernels.rmsnorm(this.f32(params.out), this.f32(params.x), this.f32(params.weight), rows, C, params.eps);
  }

  addRmsnorm(params: AddRmsNormParams): void {
    this.live('addRmsnorm', params.out, params.residual, params.x, params.weight);
    const { rows, C } = check.checkAddRmsNorm(params);
    kernels.addRmsnorm(this.f32(params.out), this.f32(params.residual), this.f32(params.x), this.f32(params.weight), rows, C, params.eps);
  }

  layernorm(params: LayerNormParams): void {
    this.live('layernorm', params.out, params.x, params.weight, params.bias);
    const { rows, C } = check.checkLayerNorm(params);
    const { out, x, weight, bias, eps } = params;
    kernels.layernorm(this.f32(out), this.f32(x), this.f32(weight), this.f32(bias), rows, C, eps);
  }

  rope(params: RopeParams): void {
    this.live('rope', params.out, params.x, params.positions);
    const { B, T, nHeads, D } = check.checkRope(params);
    const positions = this.storage(params.positions) as Int32Array;
    kernels.rope(this.f32(params.out), this.f32(params.x), positions, B, T, nHeads, D, params.theta, params.style, params.inverseFrequencies);
  }

  ropeAppend(params: RopeAppendParams): void {
    const { qOut, q, k, v, keyCache, valueCache, positions, theta, style, inverseFrequencies } = params;
    this.live('ropeAppend', qOut, q, k, v, keyCache, valueCache, positions);
    const { B, T, S, nHeads, nKvHeads, D, start } = check.checkRopeAppend(params);
    const positionValues = this.storage(positions) as Int32Array;
    kernels.rope(this.f32(qOut), this.f32(q), positionValues, B, T, nHeads, D, theta, style, inverseFrequencies);
    const rotatedKeys = new Float32Array(k.size); // [B, T, nKvHeads, D]
    kernels.rope(rotatedKeys, this.f32(k), positionValues, B, T, nKvHeads, D, theta, style, inverseFrequencies);
    this.appendRows(keyCache, rotatedKeys, B, T, S, start, nKvHeads * D);
    this.appendRows(valueCache, this.f32(v), B, T, S, start, nKvHeads * D);
  }

  /** Each sequence's T rows of `rowElements` values into cache positions [start, start + T), rounded to f16 for an f16 cache. */
  private appendRows(cache: Tensor, rows: Float32Array, B: number, T: number, S: number, start: number, rowElements: number): void {
    const target = this.storage(cache) as Float32Array | Uint16Array;
    for (let b = 0; b < B; b++) {
      const from = b * T * rowElements;
      const to = (b * S + start) * rowElements;
      for (let i = 0; i < T * rowElements; i++) target[to + i] = cache.dtype === 'f16' ? f32ToF16Bits(rows[from + i]!) : rows[from + i]!;
    }
  }

  softmax(params: UnaryParams): void {
    this.live('softmax', params.out, params.x);
    const { rows, C } = check.checkUnary('softmax', params);
    kernels.softmax(this.f32(params.out), this.f32(params.x), rows, C);
  }

  silu(params: UnaryParams): void {
    this.map('silu', params, kernels.silu);
  }

  gelu(params: UnaryParams): void {
    this.map('gelu', params, kernels.gelu);
  }

  scale(params: ScaleParams): void {
    this.map('scale', params, (value) => value * params.factor);
  }

  swiglu(params: SwigluParams): void {
    this.live('swiglu', params.out, params.gate, params.up);
    const size = check.checkSwiglu(params);
    const [out, gate, up] = [this.f32(params.out), this.f32(params.gate), this.f32(params.up)];
    for (let i = 0; i < size; i++) out[i] = kernels.silu(gate[i]!) * up[i]!;
  }

  add(params: BinaryParams): void {
    this.zip('add', params, (a, b) => a + b);
  }

  mul(params: BinaryParams): void {
    this.zip('mul', params, (a, b) => a * b);
  }

  embedding(params: EmbeddingParams): void {
    this.live('embedding', params.out, params.table, params.ids);
    const { N, V, C } = check.checkEmbedding(params);
    const [out, table, ids] = [this.f32(params.out), this.values(params.table), this.storage(params.ids) as Int32Array];
    for (let n = 0; n < N; n++) {
      const id = ids[n]!;
      // Out-of-range ids give a zero row on every backend (a GPU kernel cannot throw).
      for (let c = 0; c < C; c++) out[n * C + c] = id >= 0 && id < V ? table[id * C + c]! : 0;
    }
  }

  argmax(params: ArgmaxParams): void {
    this.live('argmax', params.out, params.x);
    const { rows, C } = check.checkArgmax(params);
    kernels.argmax(this.storage(params.out) as Int32Array, this.f32(params.x), rows, C);
  }

  copy(params: CopyParams): void {
    this.live('copy', params.out, params.x);
    const { outOffset, xOffset, count } = check.checkCopy(params);
    const source = this.storage(params.x) as Float32Array | Int32Array | Uint16Array;
    const target = this.storage(params.out) as Float32Array | Int32Array | Uint16Array;
    if (params.out.dtype === params.x.dtype) target.set(source.subarray(xOffset, xOffset + count), outOffset);
    else for (let i = 0; i < count; i++) target[outOffset + i] = f32ToF16Bits(source[xOffset + i]!); // f32 → f16
  }

  private map(op: string, params: UnaryParams, fn: (value: number) => number): void {
    this.live(op, params.out, params.x);
    check.checkUnary(op, params);
    const [out, x] = [this.f32(params.out), this.f32(params.x)];
    for (let i = 0; i < x.length; i++) out[i] = fn(x[i]!);
  }

  private zip(op: string, params: BinaryParams, fn: (a: number, b: number) => number): void {
    this.live(op, params.out, params.a, params.b);
    const { size, bSize } = check.checkBinary(op, params);
    const [out, a, b] = [this.f32(params.out), this.f32(params.a), this.f32(params.b)];
    for (let i = 0; i < size; i++) out[i] = fn(a[i]!, b[i % bSize]!);
  }

  private live(op: string, ...tensors: Tensor[]): void {
    for (const tensor of tensors) assertLive(tensor, this.name, op);
  }

  private storage(tensor: Tensor): HostArray {
    return tensor.handle as HostArray;
  }

  private f32(tensor: Tensor): Float32Array {
    return tensor.handle as Float32Array;
  }

  private values(tensor: Tensor): Float32Array {
    return asFloat32(tensor.dtype, this.storage(tensor), tensor.size);
  }
}

// The training ops (reference-training.ts) are mixed in, so this file stays about the forward.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface ReferenceBackend extends TrainingOps {}
Object.assign(ReferenceBackend.prototype, referenceTrainingOps);

export function createReferenceBackend(): ReferenceBackend {
  return new ReferenceBackend();
}
