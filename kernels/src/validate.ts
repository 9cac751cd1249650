import { DTypeNotSupportedError, ShapeMismatchError } from './errors.js';
import { DTYPES, QUANT_BLOCK_SIZE, isDType, isQuantized, type DType } from './dtype.js';
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
  SwigluParams,
  UnaryParams,
} from './ops.js';
import type { Tensor } from './tensor.js';

/**
 * Shape and dtype checks shared by every backend, so all of them reject the same calls with the
 * same error, and return the dimensions each kernel needs.
 */

export const describe = (t: Tensor) => `${t.dtype}[${t.shape.join(', ')}]`;

/**
 * What `backend.tensor(dtype, shape)` accepts: a known dtype, dimensions that are non-negative
 * safe integers, and for quantized dtypes rows (the last dimension) of whole 32-value blocks.
 */
export function checkNewTensor(dtype: unknown, shape: readonly number[], op = 'tensor'): void {
  if (!isDType(dtype)) throw new DTypeNotSupportedError(op, 'dtype', String(dtype), DTYPES);
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw new ShapeMismatchError(op, 'shape', 'an array of non-negative integer dimensions', Array.isArray(shape) ? `[${shape.join(', ')}]` : String(shape));
  }
  if (isQuantized(dtype) && (shape.at(-1) ?? 1) % QUANT_BLOCK_SIZE !== 0) {
    throw new ShapeMismatchError(op, 'shape', `a last dimension that is a multiple of ${QUANT_BLOCK_SIZE} for ${dtype} (whole blocks per row)`, `[${shape.join(', ')}]`);
  }
}

/** A view of `tensor` with `shape`: a valid shape for its dtype, with the same element count. */
export function checkReshape(tensor: Tensor, shape: readonly number[]): void {
  checkNewTensor(tensor.dtype, shape, 'reshape');
  const size = shape.reduce((product, dim) => product * dim, 1);
  if (size !== tensor.size) {
    throw new ShapeMismatchError('reshape', 'shape', `${tensor.size} elements, as ${describe(tensor)} has`, `[${shape.join(', ')}] (${size} elements)`);
  }
}
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export function expectDType(op: string, name: string, t: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) throw new DTypeNotSupportedError(op, name, t.dtype, allowed);
}

export function expectShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (!same(t.shape, shape)) throw new ShapeMismatchError(op, name, `[${shape.join(', ')}]`, describe(t));
}

export function expectRank(op: string, name: string, t: Tensor, ranks: readonly number[]): void {
  if (!ranks.includes(t.rank)) throw new ShapeMismatchError(op, name, `rank ${ranks.join(' or ')}`, describe(t));
}

/** `written` (the op's `out` unless named) shares no storage with `inputs`, views included. */
export function expectDistinct(op: string, written: Tensor, inputs: readonly Tensor[], name = 'out'): void {
  if (inputs.some((input) => input.storageOwner === written.storageOwner)) {
    throw new ShapeMismatchError(op, name, 'a tensor distinct from the inputs', 'an input tensor (or a view of one)');
  }
}

const WEIGHT_TYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'];

export interface MatmulDims {
  batch: number;
  M: number;
  N: number;
  K: number;
  /** true when b has a single batch that is reused for every batch of a */
  broadcastB: boolean;
}

export function checkMatmul({ out, a, b, transposeB }: MatmulParams): MatmulDims {
  const op = 'matmul';
  expectDType(op, 'a', a, ['f32']);
  expectDType(op, 'out', out, ['f32']);
  expectDType(op, 'b', b, transposeB ? WEIGHT_TYPES : ['f32']);
  expectRank(op, 'a', a, [2, 3]);
  expectRank(op, 'b', b, [2, 3]);
  expectDistinct(op, out, [a, b]);
  const batch = a.rank === 3 ? a.shape[0]! : 1;
  const [M, K] = a.shape.slice(-2) as [number, number];
  const bBatch = b.rank === 3 ? b.shape[0]! : 1;
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const bK = transposeB ? b1 : b0;
  const N = transposeB ? b0 : b1;
  if (bBatch !== 1 && bBatch !== batch) throw new ShapeMismatchError(op, 'b', `batch 1 or ${batch}`, describe(b));
  if (bK !== K) throw new ShapeMismatchError(op, 'b', `inner dimension K = ${K} (a is ${describe(a)})`, describe(b));
  if (isQuantized(b.dtype) && K % QUANT_BLOCK_SIZE !== 0) {
    throw new ShapeMismatchError(op, 'b', `K a multiple of ${QUANT_BLOCK_SIZE} for ${b.dtype}`, describe(b));
  }
  expectShape(op, 'out', out, a.rank === 3 ? [batch, M, N] : [M, N]);
  return { batch, M, N, K, broadcastB: bBatch === 1 && batch > 1 };
}

export function checkMatmulSwiglu({ out, a, b, gate }: MatmulSwigluParams): MatmulDims {
  const dims = checkMatmul({ out, a, b, transposeB: true });
  expectDType('matmulSwiglu', 'gate', gate, ['f32']);
  expectShape('matmulSwiglu', 'gate', gate, out.shape);
  expectDistinct('matmulSwiglu', out, [gate]);
  return dims;
}

export interface AttentionDims {
  B: number;
  T: number;
  S: number;
  nHeads: number;
  nKvHeads: number;
  D: number;
  kvLength: number;
}

export function checkAttention({ out, q, k, v, kvLength }: AttentionParams): AttentionDims {
  const op = 'attention';
  for (const [name, t] of [['out', out], ['q', q], ['k', k], ['v', v]] as const) {
    expectDType(op, name, t, name === 'k' ? ['f32', 'f16'] : name === 'v' ? [k.dtype] : ['f32']);
    expectRank(op, name, t, [4]);
  }
  expectDistinct(op, out, [q, k, v]);
  const [B, T, nHeads, D] = q.shape as [number, number, number, number];
  const [, S, nKvHeads] = k.shape as [number, number, number, number];
  expectShape(op, 'out', out, q.shape);
  expectShape(op, 'k', k, [B, S, nKvHeads, D]);
  expectShape(op, 'v', v, k.shape);
  if (nHeads % nKvHeads !== 0) throw new ShapeMismatchError(op, 'k', `a head count dividing ${nHeads}`, describe(k));
  if (!Number.isInteger(kvLength) || kvLength < T || kvLength > S) {
    throw new ShapeMismatchError(op, 'kvLength', `an integer in [T = ${T}, S = ${S}]`, String(kvLength));
  }
  return { B, T, S, nHeads, nKvHeads, D, kvLength };
}

export interface RowDims {
  rows: number;
  C: number;
}

export function rowsOf(t: Tensor): RowDims {
  const C = t.shape[t.rank - 1] ?? 1;
  return { rows: C === 0 ? 0 : t.size / C, C };
}

export function checkRmsNorm({ out, x, weight }: RmsNormParams): RowDims {
  const op = 'rmsnorm';
  for (const [name, t] of [['out', out], ['x', x], ['weight', weight]] as const) expectDType(op, name, t, ['f32']);
  expectDistinct(op, out, [x, weight]);
  const dims = rowsOf(x);
  expectShape(op, 'out', out, x.shape);
  expectShape(op, 'weight', weight, [dims.C]);
  return dims;
}

export function checkAddRmsNorm({ residual, x, out, weight }: AddRmsNormParams): RowDims {
  const op = 'addRmsnorm';
  for (const [name, t] of [['residual', residual], ['x', x], ['out', out], ['weight', weight]] as const) expectDType(op, name, t, ['f32']);
  expectDistinct(op, out, [residual, x, weight]);
  expectDistinct(op, residual, [x, weight], 'residual'); // updated in place
  const dims = rowsOf(residual);
  expectShape(op, 'x', x, residual.shape);
  expectShape(op, 'out', out, residual.shape);
  expectShape(op, 'weight', weight, [dims.C]);
  return dims;
}

export function checkLayerNorm(params: LayerNormParams): RowDims {
  const dims = checkRmsNorm({ ...params });
  expectDType('layernorm', 'bias', params.bias, ['f32']);
  expectShape('layernorm', 'bias', params.bias, [dims.C]);
  expectDistinct('layernorm', params.out, [params.bias]);
  return dims;
}

export interface RopeDims {
  B: number;
  T: number;
  nHeads: number;
  D: number;
}

export function checkRope({ out, x, positions, inverseFrequencies }: RopeParams): RopeDims {
  const op = 'rope';
  expectDType(op, 'x', x, ['f32']);
  expectDType(op, 'out', out, ['f32']);
  expectDType(op, 'positions', positions, ['i32']);
  expectRank(op, 'x', x, [4]);
  expectDistinct(op, out, [x, positions]);
  const [B, T, nHeads, D] = x.shape as [number, number, number, number];
  if (D % 2 !== 0) throw new ShapeMismatchError(op, 'x', 'an even head dimension', describe(x));
  expectShape(op, 'out', out, x.shape);
  expectShape(op, 'positions', positions, [B, T]);
  if (inverseFrequencies && inverseFrequencies.length !== D / 2) {
    throw new ShapeMismatchError(op, 'inverseFrequencies', `${D / 2} values (head dim / 2)`, `${inverseFrequencies.length}`);
  }
  return { B, T, nHeads, D };
}

/** The attention layout of q and the caches, with the first cache position written instead of the keys attended. */
export type RopeAppendDims = Omit<AttentionDims, 'kvLength'> & { start: number };

export function checkRopeAppend(params: RopeAppendParams): RopeAppendDims {
  const op = 'ropeAppend';
  const { qOut, q, k, v, keyCache, valueCache, start, positions } = params;
  for (const [name, t] of [['qOut', qOut], ['q', q], ['k', k], ['v', v]] as const) {
    expectDType(op, name, t, ['f32']);
    expectRank(op, name, t, [4]);
  }
  expectDType(op, 'keyCache', keyCache, ['f32', 'f16']);
  expectDType(op, 'valueCache', valueCache, [keyCache.dtype]);
  expectDType(op, 'positions', positions, ['i32']);
  expectRank(op, 'keyCache', keyCache, [4]);
  const inputs = [q, k, v, positions];
  expectDistinct(op, qOut, inputs, 'qOut');
  expectDistinct(op, keyCache, [...inputs, qOut], 'keyCache');
  expectDistinct(op, valueCache, [...inputs, qOut, keyCache], 'valueCache');
  const [B, T, nHeads, D] = q.shape as [number, number, number, number];
  const [, S, nKvHeads] = keyCache.shape as [number, number, number, number];
  if (D % 2 !== 0) throw new ShapeMismatchError(op, 'q', 'an even head dimension', describe(q));
  expectShape(op, 'qOut', qOut, q.shape);
  expectShape(op, 'keyCache', keyCache, [B, S, nKvHeads, D]);
  expectShape(op, 'valueCache', valueCache, keyCache.shape);
  expectShape(op, 'k', k, [B, T, nKvHeads, D]);
  expectShape(op, 'v', v, k.shape);
  expectShape(op, 'positions', positions, [B, T]);
  if (!Number.isInteger(start) || start < 0 || start + T > S) {
    throw new ShapeMismatchError(op, 'start', `an integer in [0, S − T] = [0, ${S - T}] (the cache holds ${S} positions, ${T} are appended)`, String(start));
  }
  if (params.inverseFrequencies && params.inverseFrequencies.length !== D / 2) {
    throw new ShapeMismatchError(op, 'inverseFrequencies', `${D / 2} values (head dim / 2)`, `${params.inverseFrequencies.length}`);
  }
  return { B, T, S, nHeads, nKvHeads, D, start };
}

export function checkUnary(op: string, { out, x }: UnaryParams): RowDims {
  expectDType(op, 'x', x, ['f32']);
  expectDType(op, 'out', out, ['f32']);
  expectDistinct(op, out, [x]);
  expectShape(op, 'out', out, x.shape);
  return rowsOf(x);
}

export function checkSwiglu({ out, gate, up }: SwigluParams): number {
  const op = 'swiglu';
  for (const [name, t] of [['out', out], ['gate', gate], ['up', up]] as const) expectDType(op, name, t, ['f32']);
  expectDistinct(op, out, [gate, up]);
  expectShape(op, 'up', up, gate.shape);
  expectShape(op, 'out', out, gate.shape);
  return gate.size;
}

export interface BinaryDims {
  /** elements of a / out */
  size: number;
  /** elements of b; b[i % bSize] pairs with a[i] */
  bSize: number;
}

export function checkBinary(op: string, { out, a, b }: BinaryParams): BinaryDims {
  for (const [name, t] of [['out', out], ['a', a], ['b', b]] as const) expectDType(op, name, t, ['f32']);
  expectDistinct(op, out, [a, b]);
  expectShape(op, 'out', out, a.shape);
  const trailing = a.shape.slice(a.rank - b.rank);
  if (b.rank > a.rank || !same(trailing, b.shape)) {
    throw new ShapeMismatchError(op, 'b', `a's shape or its trailing dimensions (a is ${describe(a)})`, describe(b));
  }
  return { size: a.size, bSize: b.size };
}

export interface EmbeddingDims {
  N: number;
  V: number;
  C: number;
}

export function checkEmbedding({ out, table, ids }: EmbeddingParams): EmbeddingDims {
  const op = 'embedding';
  expectDType(op, 'table', table, WEIGHT_TYPES);
  expectDType(op, 'ids', ids, ['i32']);
  expectDType(op, 'out', out, ['f32']);
  expectRank(op, 'table', table, [2]);
  expectRank(op, 'ids', ids, [1]);
  const [V, C] = table.shape as [number, number];
  const N = ids.shape[0]!;
  expectShape(op, 'out', out, [N, C]);
  return { N, V, C };
}

export function checkArgmax({ out, x }: ArgmaxParams): RowDims {
  const op = 'argmax';
  expectDType(op, 'x', x, ['f32']);
  expectDType(op, 'out', out, ['i32']);
  const dims = rowsOf(x);
  expectShape(op, 'out', out, [dims.rows]);
  return dims;
}

export interface CopyDims {
  outOffset: number;
  xOffset: number;
  count: number;
}

export function checkCopy({ out, x, outOffset = 0, xOffset = 0, count }: CopyParams): CopyDims {
  const op = 'copy';
  expectDType(op, 'x', x, ['f32', 'i32', 'f16']);
  expectDType(op, 'out', out, x.dtype === 'f32' ? ['f32', 'f16'] : [x.dtype]);
  expectDistinct(op, out, [x]);
  const length = count ?? x.size - xOffset;
  const valid = (value: number) => Number.isInteger(value) && value >= 0;
  if (!valid(xOffset) || !valid(length) || xOffset + length > x.size) {
    throw new ShapeMismatchError(op, 'xOffset/count', `a range inside x's ${x.size} elements`, `[${xOffset}, ${xOffset + length})`);
  }
  if (!valid(outOffset) || outOffset + length > out.size) {
    throw new ShapeMismatchError(op, 'outOffset', `a range inside out's ${out.size} elements`, `[${outOffset}, ${outOffset + length})`);
  }
  return { outOffset, xOffset, count: length };
}
