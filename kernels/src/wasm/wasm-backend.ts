import type { Backend, BackendInfo } from '../backend.js';
import { byteLength, hostArrayFor, type DType, type HostArray } from '../dtype.js';
import { CriaKernelError, ShapeMismatchError } from '../errors.js';
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
import { Tensor, assertLive } from '../tensor.js';
import * as check from '../validate.js';
import { BINARY_ADD, BINARY_MUL, DTYPE_CODES, type KernelArguments, type KernelExports, type KernelName } from './kernel-exports.js';
import { RopeTableCache } from './rope-table.js';
import type { ThreadPool } from './thread-pool.js';
import { forwardTrainingOps, type TrainingOps } from '../training-ops.js';
import { createWasmTrainingOps } from './wasm-training.js';
import { CHUNK_COUNTER_OFFSET, type WasmMemory } from './wasm-memory.js';

/**
 * The WebAssembly backend: tensors are 16-byte-aligned blocks of one linear memory (weights in
 * their upload layout, decoded inside the kernels), ops validate their arguments like every other
 * backend and then call the SIMD kernels synchronously — on the calling thread, or split across
 * the worker pool when the op is large enough to pay for the hand-off.
 */
interface WasmHandle {
  offset: number;
}

export interface WasmBackendParts {
  info: BackendInfo;
  memory: WasmMemory;
  kernels: KernelExports;
  pool: ThreadPool | undefined;
  /** Smallest op, in multiply-adds (or elements), worth splitting across the pool. */
  parallelThreshold: number;
}

const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;
/** Queries per sequence up to which attention splits the keys across threads (attentionDecode) rather than the queries. */
const DECODE_MAX_QUERIES = 4;

// The training ops (wasm-training.ts) are forwarded onto each instance: see forwardTrainingOps.
export interface WasmBackend extends TrainingOps {}
export class WasmBackend implements Backend, TrainingOps {
  readonly name = 'wasm' as const;
  readonly info: BackendInfo;
  readonly #memory: WasmMemory;
  readonly #kernels: KernelExports;
  readonly #pool: ThreadPool | undefined;
  readonly #parallelThreshold: number;
  readonly #live = new Set<Tensor>();
  readonly #training: TrainingOps;
  #scratch = { offset: 0, bytes: 0 };
  readonly #ropeTables: RopeTableCache;
  #disposed = false;

  constructor(parts: WasmBackendParts) {
    this.info = parts.info;
    this.#memory = parts.memory;
    this.#kernels = parts.kernels;
    this.#pool = parts.pool;
    this.#parallelThreshold = parts.parallelThreshold;
    this.#ropeTables = new RopeTableCache(this.#memory);
    this.#training = createWasmTrainingOps({
      memory: this.#memory,
      kernels: this.#kernels,
      at: (tensor) => this.#at(tensor),
      assertLive: (op, ...tensors) => this.#assertLive(op, ...tensors.filter((t): t is Tensor => t !== undefined)),
      run: (threads, kernel, ...args) => this.#run(threads, kernel, ...args),
      threadsFor: (work) => this.#threadsFor(work),
      matmul: (out, a, b, batch, M, N, K, transposeB, broadcastB) => this.#matmulOffsets(out, a, b, batch, M, N, K, transposeB, broadcastB, 0),
    });
    forwardTrainingOps(this, this.#training);
  }

  /** Threads the pool splits large ops across (1 when single-threaded). */
  get threads(): number {
    return this.#pool?.threads ?? 1;
  }

  /** Bytes of linear memory held by tensors and scratch. */
  get bytesInUse(): number {
    return this.#memory.allocator.bytesInUse;
  }

  tensor(dtype: DType, shape: readonly number[], data?: ArrayBufferView): Tensor {
    this.#assertUsable('tensor');
    check.checkNewTensor(dtype, shape);
    const bytes = Math.ceil(byteLength(dtype, shape));
    const offset = this.#memory.allocate(bytes);
    const tensor = new Tensor(this.name, dtype, [...shape], { offset } satisfies WasmHandle);
    this.#live.add(tensor);
    if (data) this.write(tensor, data);
    else this.#memory.fill(offset, bytes);
    return tensor;
  }

  write(tensor: Tensor, data: ArrayBufferView): void {
    assertLive(tensor, this.name, 'write');
    if (data.byteLength !== tensor.byteLength) {
      throw new ShapeMismatchError('write', 'data', `${tensor.byteLength} bytes for ${tensor}`, `${data.byteLength} bytes`);
    }
    this.#memory.write(this.#at(tensor), data);
  }

  writeBytes(tensor: Tensor, byteOffset: number, data: ArrayBufferView): void {
    assertLive(tensor, this.name, 'writeBytes');
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset + data.byteLength > tensor.byteLength) {
      throw new ShapeMismatchError('writeBytes', 'data', `within the ${tensor.byteLength} bytes of ${tensor}`, `${data.byteLength} bytes at offset ${byteOffset}`);
    }
    this.#memory.write(this.#at(tensor) + byteOffset, data);
  }

  async read(tensor: Tensor): Promise<HostArray> {
    assertLive(tensor, this.name, 'read');
    return hostArrayFor(tensor.dtype, this.#memory.read(this.#at(tensor), tensor.byteLength), 0, tensor.size);
  }

  async readInto(tensor: Tensor, target: ArrayBufferView): Promise<void> {
    assertLive(tensor, this.name, 'readInto');
    if (target.byteLength !== tensor.byteLength) {
      throw new ShapeMismatchError('readInto', 'target', `${tensor.byteLength} bytes for ${tensor}`, `${target.byteLength} bytes`);
    }
    this.#memory.readInto(this.#at(tensor), target);
  }

  reshape(tensor: Tensor, shape: readonly number[]): Tensor {
    this.#assertLive('reshape', tensor);
    check.checkReshape(tensor, shape);
    return new Tensor(this.name, tensor.dtype, [...shape], tensor.handle, tensor.storageOwner);
  }

  free(tensor: Tensor): void {
    assertLive(tensor, this.name, 'free');
    if (tensor.base) {
      tensor.markFreed();
      return;
    }
    this.#memory.free(this.#at(tensor));
    this.#live.delete(tensor);
    tensor.markFreed();
  }

  /** Ops run synchronously when called, so there is never anything to wait for. */
  async sync(): Promise<void> {}

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#pool?.dispose();
    for (const tensor of this.#live) tensor.markFreed();
    this.#live.clear();
  }

  matmul(params: MatmulParams): void {
    const { out, a, b, transposeB } = params;
    this.#assertLive('matmul', out, a, b);
    const { batch, M, N, K, broadcastB } = check.checkMatmul(params);
    if (out.size === 0) return;
    if (K === 0) return this.#memory.fill(this.#at(out), out.byteLength);
    const dtype = DTYPE_CODES[b.dtype as keyof typeof DTYPE_CODES];
    this.#matmulOffsets(this.#at(out), this.#at(a), this.#at(b), batch, M, N, K, transposeB, broadcastB, dtype);
  }

  #matmulOffsets(
    out: number, a: number, b: number, batch: number, M: number, N: number, K: number, transposeB: boolean, broadcastB: boolean, dtype: number,
  ): void {
    const threads = this.#threadsFor(batch * M * N * K);
    const stride = align16(this.#kernels.matmulScratchBytes(M, N, K, dtype));
    const scratch = this.#scratchFor(stride * threads);
    this.#run(threads, 'matmul', out, a, b, batch, M, N, K, +transposeB, +broadcastB, dtype, scratch, stride, this.#resetCounter());
  }

  /** The matmul, then swiglu in place over its output (an element-wise kernel may write what it reads). */
  matmulSwiglu(params: MatmulSwigluParams): void {
    const { out, a, b, gate } = params;
    this.#assertLive('matmulSwiglu', out, a, b, gate);
    const { batch, M, N, K, broadcastB } = check.checkMatmulSwiglu(params);
    if (out.size === 0) return;
    if (K === 0) this.#memory.fill(this.#at(out), out.byteLength);
    else this.#matmulOffsets(this.#at(out), this.#at(a), this.#at(b), batch, M, N, K, true, broadcastB, DTYPE_CODES[b.dtype as keyof typeof DTYPE_CODES]);
    this.#run(this.#threadsFor(out.size * 4), 'swiglu', this.#at(out), this.#at(gate), this.#at(out), out.size);
  }

  attention(params: AttentionParams): void {
    const { out, q, k, v } = params;
    this.#assertLive('attention', out, q, k, v);
    const { B, T, S, nHeads, nKvHeads, D, kvLength } = check.checkAttention(params);
    if (out.size === 0) return;
    const threads = this.#threadsFor(B * T * nHeads * kvLength * D);
    const stride = align16(this.#kernels.attentionScratchBytes(D));
    const halfKv = +(k.dtype === 'f16');
    const at = (t: Tensor) => this.#at(t);
    if (T > DECODE_MAX_QUERIES) {
      const scratch = this.#scratchFor(stride * threads);
      this.#run(threads, 'attention', at(out), at(q), at(k), at(v), B, T, S, nHeads, nKvHeads, D, kvLength, params.scale, halfKv, scratch, stride, this.#resetCounter());
      return;
    }
    // Decode: keys split across threads, partials after the threads' scratch (see attentionDecode).
    const splits = this.#kernels.attentionSplits(kvLength);
    const scratch = this.#scratchFor(stride * threads + (splits > 1 ? B * T * nHeads * splits * (D + 2) * 4 : 0));
    const partials = scratch + stride * threads;
    this.#run(threads, 'attentionDecode', at(out), at(q), at(k), at(v), partials, B, T, S, nHeads, nKvHeads, D, kvLength, params.scale, halfKv, scratch, stride, this.#resetCounter());
    if (splits > 1) this.#run(this.#threadsFor(B * T * nHeads * splits * D * 16), 'attentionMerge', at(out), partials, B * T * nHeads, D, splits);
  }

  rmsnorm(params: RmsNormParams): void {
    const { out, x, weight, eps } = params;
    this.#assertLive('rmsnorm', out, x, weight);
    const { rows, C } = check.checkRmsNorm(params);
    this.#run(this.#threadsFor(rows * C), 'rmsnorm', this.#at(out), this.#at(x), this.#at(weight), rows, C, eps);
  }

  addRmsnorm(params: AddRmsNormParams): void {
    const { out, residual, x, weight, eps } = params;
    this.#assertLive('addRmsnorm', out, residual, x, weight);
    const { rows, C } = check.checkAddRmsNorm(params);
    this.#run(this.#threadsFor(rows * C), 'addRmsnorm', this.#at(out), this.#at(residual), this.#at(x), this.#at(weight), rows, C, eps);
  }

  layernorm(params: LayerNormParams): void {
    const { out, x, weight, bias, eps } = params;
    this.#assertLive('layernorm', out, x, weight, bias);
    const { rows, C } = check.checkLayerNorm(params);
    this.#run(this.#threadsFor(rows * C), 'layernorm', this.#at(out), this.#at(x), this.#at(weight), this.#at(bias), rows, C, eps);
  }

  rope(params: RopeParams): void {
    const { out, x, positions, theta, style, inverseFrequencies } = params;
    this.#assertLive('rope', out, x, positions);
    const { B, T, nHeads, D } = check.checkRope(params);
    const tokens = B * T;
    if (out.size === 0) return;
    const table = this.#ropeTables.tableFor(this.#memory.int32(this.#at(positions), tokens), D, style, inverseFrequencies ?? theta);
    const interleaved = style === 'interleaved' ? 1 : 0;
    this.#run(this.#threadsFor(out.size), 'rope', this.#at(out), this.#at(x), table, tokens, nHeads, D, interleaved);
  }

  /**
   * The rope kernel twice (q into qOut, k into scratch) and each sequence's rows into the caches
   * (a memmove, or the f32 → f16 conversion): on the CPU the fusion saves nothing worth a kernel.
   */
  ropeAppend(params: RopeAppendParams): void {
    const { qOut, q, k, v, keyCache, valueCache, positions, theta, style, inverseFrequencies } = params;
    this.#assertLive('ropeAppend', qOut, q, k, v, keyCache, valueCache, positions);
    const { B, T, S, nHeads, nKvHeads, D, start } = check.checkRopeAppend(params);
    if (B * T === 0) return;
    const tokens = B * T;
    const table = this.#ropeTables.tableFor(this.#memory.int32(this.#at(positions), tokens), D, style, inverseFrequencies ?? theta);
    const interleaved = style === 'interleaved' ? 1 : 0;
    this.#run(this.#threadsFor(qOut.size), 'rope', this.#at(qOut), this.#at(q), table, tokens, nHeads, D, interleaved);
    const rotatedKeys = this.#scratchFor(k.byteLength); // [B, T, nKvHeads, D]
    this.#run(this.#threadsFor(k.size), 'rope', rotatedKeys, this.#at(k), table, tokens, nKvHeads, D, interleaved);
    this.#appendRows(keyCache, rotatedKeys, B, T, S, start, nKvHeads * D);
    this.#appendRows(valueCache, this.#at(v), B, T, S, start, nKvHeads * D);
  }

  /** Each sequence's T rows of `rowElements` f32s at `rows` into cache positions [start, start + T). */
  #appendRows(cache: Tensor, rows: number, B: number, T: number, S: number, start: number, rowElements: number): void {
    const half = cache.dtype === 'f16';
    const rowBytes = rowElements * 4;
    const cacheRowBytes = half ? rowBytes / 2 : rowBytes;
    for (let b = 0; b < B; b++) {
      const source = rows + b * T * rowBytes;
      const target = this.#at(cache) + (b * S + start) * cacheRowBytes;
      if (half) this.#run(this.#threadsFor(T * rowBytes), 'toHalf', target, source, T * rowElements);
      else this.#memory.bytes.copyWithin(target, source, source + T * rowBytes);
    }
  }

  softmax(params: UnaryParams): void {
    this.#assertLive('softmax', params.out, params.x);
    const { rows, C } = check.checkUnary('softmax', params);
    this.#run(this.#threadsFor(rows * C * 4), 'softmax', this.#at(params.out), this.#at(params.x), rows, C);
  }

  silu(params: UnaryParams): void {
    this.#assertLive('silu', params.out, params.x);
    check.checkUnary('silu', params);
    this.#run(this.#threadsFor(params.x.size * 4), 'silu', this.#at(params.out), this.#at(params.x), params.x.size);
  }

  gelu(params: UnaryParams): void {
    this.#assertLive('gelu', params.out, params.x);
    check.checkUnary('gelu', params);
    this.#run(this.#threadsFor(params.x.size * 4), 'gelu', this.#at(params.out), this.#at(params.x), params.x.size);
  }

  swiglu(params: SwigluParams): void {
    this.#assertLive('swiglu', params.out, params.gate, params.up);
    const size = check.checkSwiglu(params);
    this.#run(this.#threadsFor(size * 4), 'swiglu', this.#at(params.out), this.#at(params.gate), this.#at(params.up), size);
  }

  add(params: BinaryParams): void {
    this.#binary('add', BINARY_ADD, params);
  }

  mul(params: BinaryParams): void {
    this.#binary('mul', BINARY_MUL, params);
  }

  scale(params: ScaleParams): void {
    this.#assertLive('scale', params.out, params.x);
    check.checkUnary('scale', params);
    this.#run(this.#threadsFor(params.x.size), 'scale', this.#at(params.out), this.#at(params.x), params.x.size, params.factor);
  }

  embedding(params: EmbeddingParams): void {
    const { out, table, ids } = params;
    this.#assertLive('embedding', out, table, ids);
    const { N, V, C } = check.checkEmbedding(params);
    const dtype = DTYPE_CODES[table.dtype as keyof typeof DTYPE_CODES];
    this.#run(this.#threadsFor(N * C), 'embedding', this.#at(out), this.#at(table), this.#at(ids), N, V, C, dtype);
  }

  argmax(params: ArgmaxParams): void {
    this.#assertLive('argmax', params.out, params.x);
    const { rows, C } = check.checkArgmax(params);
    this.#run(this.#threadsFor(rows * C), 'argmax', this.#at(params.out), this.#at(params.x), rows, C);
  }

  /** A plain memmove (no kernel needed), or the f32 → f16 conversion that fills an f16 KV cache. */
  copy(params: CopyParams): void {
    this.#assertLive('copy', params.out, params.x);
    const { outOffset, xOffset, count } = check.checkCopy(params);
    const xBytes = params.x.dtype === 'f16' ? 2 : 4;
    const source = this.#at(params.x) + xOffset * xBytes;
    if (params.out.dtype === params.x.dtype) {
      this.#memory.bytes.copyWithin(this.#at(params.out) + outOffset * xBytes, source, source + count * xBytes);
    } else if (count > 0) {
      this.#run(this.#threadsFor(count * 4), 'toHalf', this.#at(params.out) + outOffset * 2, source, count);
    }
  }

  #binary(op: 'add' | 'mul', operation: number, params: BinaryParams): void {
    this.#assertLive(op, params.out, params.a, params.b);
    const { size, bSize } = check.checkBinary(op, params);
    if (size === 0) return;
    this.#run(this.#threadsFor(size), 'binary', operation, this.#at(params.out), this.#at(params.a), this.#at(params.b), size, bSize);
  }

  #run<K extends KernelName>(threads: number, kernel: K, ...args: KernelArguments<K>): void {
    if (threads > 1 && this.#pool) this.#pool.run(kernel, ...args);
    else (this.#kernels[kernel] as (...values: number[]) => void)(0, 1, ...(args as number[]));
  }

  /** Zeroes the chunk counter for the next call and returns its offset. */
  #resetCounter(): number {
    this.#memory.fill(CHUNK_COUNTER_OFFSET, 4);
    return CHUNK_COUNTER_OFFSET;
  }

  #threadsFor(work: number): number {
    return this.#pool && work >= this.#parallelThreshold ? this.#pool.threads : 1;
  }

  /**
   * One scratch block reused by every op (ops finish before they return, so it is never shared
   * between two of them); it only grows, by reallocation.
   */
  #scratchFor(bytes: number): number {
    const current = this.#scratch;
    if (bytes > current.bytes) {
      if (current.bytes > 0) this.#memory.free(current.offset);
      this.#scratch = { offset: 0, bytes: 0 }; // stays consistent if the allocation below throws
      const size = align16(Math.max(bytes, current.bytes * 1.5));
      this.#scratch = { offset: this.#memory.allocate(size), bytes: size };
    }
    return this.#scratch.offset;
  }

  #at(tensor: Tensor): number {
    return (tensor.handle as WasmHandle).offset;
  }

  #assertLive(op: string, ...tensors: Tensor[]): void {
    this.#assertUsable(op);
    for (const tensor of tensors) assertLive(tensor, this.name, op);
  }

  #assertUsable(op: string): void {
    if (this.#disposed) throw new CriaKernelError(`${op}: this wasm backend was disposed`, 'create a new backend with createWasmBackend()');
  }
}
