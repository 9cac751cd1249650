import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { toBf16, toF16 } from '../numeric/half.js';
import { quantizeQ4_0, quantizeQ8_0 } from '../numeric/quantize.js';
import type { OpName, RopeStyle } from '../ops.js';
import type { Tensor } from '../tensor.js';
import type { Random } from './random.js';

/**
 * Every op's test cases, in the spirit of ggml's test-backend-ops: a generator per op draws a random
 * shape (deliberately not multiples of any tile) and fresh random data; the harness runs the case on
 * each backend and scores it against the reference with the normalised error threshold stated here.
 */
export interface TensorSpec {
  dtype: DType;
  shape: number[];
  data: ArrayBufferView;
}

export interface OpCase {
  op: OpName;
  label: string;
  inputs: Record<string, TensorSpec>;
  output: { dtype: DType; shape: number[] };
  run(backend: Backend, inputs: Record<string, Tensor>, out: Tensor): void;
  /** Largest normalised error (Σ(x − ref)² / Σ ref²) accepted; 0 = must match exactly. */
  tolerance: number;
  /**
   * Typical size of an output. Rounding errors scale with the terms summed, not with the sum: an
   * output that cancels to near zero (likely when there are only a few) is scored against this.
   */
  scale?: number;
}

export type OpCaseGenerator = (random: Random) => OpCase;

/** f32 accumulation in a different order than the f64 reference: a few ulps per output. */
const F32_TOLERANCE = 1e-9;
/** Quantized weights may be multiplied with int8-quantized activations (llama.cpp's q8_0 dot). */
const QUANT_TOLERANCE = 5e-4;
/** exp/tanh/cos in f32 on GPUs are only guaranteed to a few ulps (WGSL's precision tables). */
const TRANSCENDENTAL_TOLERANCE = 1e-7;

const f32 = (shape: number[], data: Float32Array): TensorSpec => ({ dtype: 'f32', shape, data });

function weight(dtype: DType, shape: number[], values: Float32Array): TensorSpec {
  switch (dtype) {
    case 'f16':
      return { dtype, shape, data: toF16(values) };
    case 'bf16':
      return { dtype, shape, data: toBf16(values) };
    case 'q8_0':
      return { dtype, shape, data: quantizeQ8_0(values) };
    case 'q4_0':
      return { dtype, shape, data: quantizeQ4_0(values) };
    default:
      return f32(shape, values);
  }
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function matmul(random: Random): OpCase {
  const weightType = random.pick<DType>(['f32', 'f32', 'f32', 'f16', 'bf16', 'q8_0', 'q4_0']);
  const quantized = weightType === 'q8_0' || weightType === 'q4_0';
  const transposeB = weightType !== 'f32' || random.next() < 0.5;
  // Quantized weights switch from per-row matvecs to the tiled integer matmul at M = 4: draw
  // both sides of that and row counts that leave partial tiles, up to past a 128-token prompt.
  const M = quantized
    ? random.pick([1, random.int(2, 5), random.int(6, 70), random.int(71, 130)])
    : random.pick([1, 1, random.int(2, 9), random.int(10, 70)]);
  const K = quantized ? 32 * random.int(1, 6) : random.int(1, 150);
  const N = random.int(1, 140);
  const batch = weightType === 'f32' ? random.pick([1, 1, 2, 3]) : 1;
  const broadcast = batch > 1 && random.next() < 0.5;
  const aShape = batch > 1 || random.next() < 0.3 ? [batch, M, K] : [M, K];
  const bCore = transposeB ? [N, K] : [K, N];
  const bShape = batch > 1 && !broadcast ? [batch, ...bCore] : bCore;
  const outShape = aShape.length === 3 ? [batch, M, N] : [M, N];
  return {
    op: 'matmul',
    label: `a[${aShape}] b${transposeB ? 'ᵀ' : ''}:${weightType}[${bShape}]`,
    inputs: { a: f32(aShape, random.floats(size(aShape))), b: weight(weightType, bShape, random.floats(size(bShape))) },
    output: { dtype: 'f32', shape: outShape },
    run: (backend, { a, b }, out) => backend.matmul({ out, a: a!, b: b!, transposeB }),
    tolerance: quantized ? QUANT_TOLERANCE : F32_TOLERANCE,
    // A dot of K uniform(−1, 1) pairs has standard deviation √K / 3.
    scale: Math.sqrt(K) / 3,
  };
}

/** matmulSwiglu: matmul's transposed-weight draws (every weight dtype, matvec and tiled sizes) with a gate. */
function matmulSwiglu(random: Random): OpCase {
  const weightType = random.pick<DType>(['f32', 'f16', 'bf16', 'q8_0', 'q4_0']);
  const quantized = weightType === 'q8_0' || weightType === 'q4_0';
  const M = random.pick([1, 1, random.int(2, 5), random.int(6, 70)]);
  const K = quantized ? 32 * random.int(1, 6) : random.int(1, 150);
  const N = random.int(1, 140);
  const aShape = random.next() < 0.3 ? [1, M, K] : [M, K];
  const outShape = [...aShape.slice(0, -1), N];
  // Gates over silu's whole shape: deep negatives (→ −0), around 0, large positives.
  const gate = random.normals(size(outShape), random.pick([1, 4, 40]));
  const siluRms = Math.sqrt(gate.reduce((sum, g) => sum + (g / (1 + Math.exp(-g))) ** 2, 0) / gate.length);
  return {
    op: 'matmulSwiglu',
    label: `a[${aShape}] bᵀ:${weightType}[${N},${K}]`,
    inputs: {
      a: f32(aShape, random.floats(size(aShape))),
      b: weight(weightType, [N, K], random.floats(N * K)),
      gate: f32(outShape, gate),
    },
    output: { dtype: 'f32', shape: outShape },
    run: (backend, { a, b, gate }, out) => backend.matmulSwiglu({ out, a: a!, b: b!, gate: gate! }),
    tolerance: quantized ? QUANT_TOLERANCE : TRANSCENDENTAL_TOLERANCE,
    // matmul's typical output (a dot of K uniform pairs: √K / 3) times the typical silu(gate): a
    // large silu on a dot that cancels to near zero is scored against the size such outputs have.
    scale: (Math.sqrt(K) / 3) * siluRms,
  };
}

function attention(random: Random): OpCase {
  const nKvHeads = random.int(1, 3);
  const nHeads = nKvHeads * random.pick([1, 2, 3, 4]);
  const D = random.pick([4, 8, 16, 24, 32, 40, 64, 80, 128]);
  const B = random.pick([1, 1, 2]);
  const T = random.pick([1, 1, random.int(2, 8), random.int(9, 40)]);
  // Decode-sized query counts also get caches long enough for wasm's split-KV path (256 keys per split).
  const kvLength = T + random.pick(T <= 4 ? [0, random.int(1, 10), random.int(11, 90), random.int(250, 700)] : [0, 0, random.int(1, 10), random.int(11, 90)]);
  const S = kvLength + random.pick([0, random.int(1, 20)]);
  const qShape = [B, T, nHeads, D];
  const kvShape = [B, S, nKvHeads, D];
  const scale = 1 / Math.sqrt(D);
  const kvType = random.pick<DType>(['f32', 'f16']); // the KV cache's two types
  return {
    op: 'attention',
    label: `q[${qShape}] kv:${kvType}[${kvShape}] kvLength=${kvLength}`,
    inputs: {
      q: f32(qShape, random.normals(size(qShape))),
      k: weight(kvType, kvShape, random.normals(size(kvShape))),
      v: weight(kvType, kvShape, random.normals(size(kvShape))),
    },
    output: { dtype: 'f32', shape: qShape },
    run: (backend, { q, k, v }, out) => backend.attention({ out, q: q!, k: k!, v: v!, kvLength, scale }),
    tolerance: TRANSCENDENTAL_TOLERANCE,
  };
}

function rowShape(random: Random, maxRows: number, maxC: number): number[] {
  const C = random.pick([1, random.int(2, 31), random.int(32, maxC)]);
  return random.next() < 0.5 ? [random.int(1, maxRows), C] : [random.int(1, 3), random.int(1, maxRows), C];
}

function rmsnorm(random: Random): OpCase {
  const shape = rowShape(random, 40, 700);
  const C = shape[shape.length - 1]!;
  const eps = random.pick([1e-5, 1e-6]);
  return {
    op: 'rmsnorm',
    label: `x[${shape}]`,
    inputs: { x: f32(shape, random.normals(size(shape), 2)), weight: f32([C], random.floats(C, 2)) },
    output: { dtype: 'f32', shape },
    run: (backend, { x, weight }, out) => backend.rmsnorm({ out, x: x!, weight: weight!, eps }),
    tolerance: F32_TOLERANCE,
  };
}

/**
 * addRmsnorm updates `residual` in place and writes `out`: the case's output holds both, the new
 * residual then the normalised rows, copied out of the op's own tensors.
 */
function addRmsnorm(random: Random): OpCase {
  const shape = rowShape(random, 40, 700);
  const C = shape[shape.length - 1]!;
  const count = size(shape);
  const eps = random.pick([1e-5, 1e-6]);
  return {
    op: 'addRmsnorm',
    label: `residual[${shape}]`,
    inputs: { residual: f32(shape, random.normals(count, 2)), x: f32(shape, random.normals(count, 2)), weight: f32([C], random.floats(C, 2)) },
    output: { dtype: 'f32', shape: [2, ...shape] },
    run: (backend, { residual, x, weight }, out) => {
      const normed = backend.tensor('f32', shape);
      backend.addRmsnorm({ residual: residual!, x: x!, out: normed, weight: weight!, eps });
      backend.copy({ out, x: residual! });
      backend.copy({ out, x: normed, outOffset: count });
      backend.free(normed);
    },
    tolerance: F32_TOLERANCE,
  };
}

function layernorm(random: Random): OpCase {
  const shape = rowShape(random, 40, 700);
  const C = shape[shape.length - 1]!;
  const x = random.normals(size(shape), 2);
  for (let i = 0; i < x.length; i++) x[i]! += 3; // a mean far from 0 tests the two-pass variance
  return {
    op: 'layernorm',
    label: `x[${shape}]`,
    inputs: { x: f32(shape, x), weight: f32([C], random.floats(C, 2)), bias: f32([C], random.floats(C)) },
    output: { dtype: 'f32', shape },
    run: (backend, { x, weight, bias }, out) => backend.layernorm({ out, x: x!, weight: weight!, bias: bias!, eps: 1e-5 }),
    tolerance: F32_TOLERANCE * 100,
  };
}

function rope(random: Random): OpCase {
  const style = random.pick<RopeStyle>(['interleaved', 'half']);
  const shape = [random.int(1, 2), random.int(1, 20), random.int(1, 6), 2 * random.int(1, 64)];
  const positions = random.ints(shape[0]! * shape[1]!, 2048);
  const theta = random.pick([10000, 500000, 1000000]);
  // A third of the cases pass explicit (scaled) frequencies, as Llama 3's rope_scaling does.
  const inverseFrequencies =
    random.next() < 0.33 ? Float32Array.from({ length: shape[3]! / 2 }, (_, i) => Math.pow(theta, (-2 * i) / shape[3]!) / random.pick([1, 8])) : undefined;
  return {
    op: 'rope',
    label: `x[${shape}] ${style} θ=${theta}${inverseFrequencies ? ' scaled' : ''}`,
    inputs: { x: f32(shape, random.normals(size(shape))), positions: { dtype: 'i32', shape: shape.slice(0, 2), data: positions } },
    output: { dtype: 'f32', shape },
    run: (backend, { x, positions }, out) => backend.rope({ out, x: x!, positions: positions!, theta, style, inverseFrequencies }),
    // f32 angles at positions ~2000 lose ~1e-4 absolute: what every f32 implementation (and PyTorch) sees.
    tolerance: 1e-5,
  };
}

/**
 * ropeAppend writes qOut and part of both caches (which start with random contents: what it must
 * leave alone is checked too). The case's output holds qOut, then both whole caches, in the
 * caches' dtype: with f16 caches qOut is rounded to f16 on the way, so q's rotation is checked at
 * full precision by the f32 draws, and f16 outputs are scored as the values they encode. (The
 * rounding of edge values is checked bit for bit against rope + copy in f16-kv-cache.test.ts.)
 */
function ropeAppend(random: Random): OpCase {
  const style = random.pick<RopeStyle>(['interleaved', 'half']);
  const nKvHeads = random.int(1, 3);
  const nHeads = nKvHeads * random.pick([1, 2, 3]);
  const D = 2 * random.pick([1, random.int(2, 16), random.int(17, 64)]); // D/2 odd or even
  const B = random.pick([1, 1, 2]);
  const T = random.pick([1, 1, random.int(2, 6), random.int(7, 30)]);
  const start = random.pick([0, random.int(0, 40)]);
  const S = start + T + random.pick([0, random.int(1, 10)]);
  const cacheType = random.pick<DType>(['f32', 'f16']);
  const theta = random.pick([10000, 500000]);
  const inverseFrequencies = random.next() < 0.33 ? Float32Array.from({ length: D / 2 }, (_, i) => Math.pow(theta, (-2 * i) / D) / 8) : undefined;
  const qShape = [B, T, nHeads, D];
  const kvShape = [B, T, nKvHeads, D];
  const cacheShape = [B, S, nKvHeads, D];
  const positions = Int32Array.from({ length: B * T }, (_, i) => start + (i % T) + random.pick([0, 0, random.int(0, 2000)]));
  const qSize = size(qShape);
  return {
    op: 'ropeAppend',
    label: `q[${qShape}] kv[${kvShape}] → ${cacheType}[${cacheShape}] @${start} ${style}${inverseFrequencies ? ' scaled' : ''}`,
    inputs: {
      q: f32(qShape, random.normals(qSize)),
      k: f32(kvShape, random.normals(size(kvShape))),
      v: f32(kvShape, random.normals(size(kvShape))),
      positions: { dtype: 'i32', shape: [B, T], data: positions },
      keyCache: weight(cacheType, cacheShape, random.normals(size(cacheShape))),
      valueCache: weight(cacheType, cacheShape, random.normals(size(cacheShape))),
    },
    output: { dtype: cacheType, shape: [qSize + 2 * size(cacheShape)] },
    run: (backend, { q, k, v, positions, keyCache, valueCache }, out) => {
      const qOut = backend.tensor('f32', qShape);
      backend.ropeAppend({ qOut, q: q!, k: k!, v: v!, keyCache: keyCache!, valueCache: valueCache!, start, positions: positions!, theta, style, inverseFrequencies });
      backend.copy({ out, x: qOut });
      backend.copy({ out, x: keyCache!, outOffset: qSize });
      backend.copy({ out, x: valueCache!, outOffset: qSize + keyCache!.size });
      backend.free(qOut);
    },
    tolerance: 1e-5, // rope's: f32 angles
  };
}

function elementwiseShape(random: Random): number[] {
  return random.pick([[random.int(1, 9)], [random.int(1, 5000)], [random.int(1, 30), random.int(1, 300)], [2, random.int(1, 20), random.int(1, 70)]]);
}

function unary(op: 'softmax' | 'silu' | 'gelu'): OpCaseGenerator {
  return (random) => {
    const shape = op === 'softmax' ? rowShape(random, 30, 1200) : elementwiseShape(random);
    return {
      op,
      label: `x[${shape}]`,
      inputs: { x: f32(shape, random.normals(size(shape), 4)) },
      output: { dtype: 'f32', shape },
      run: (backend, { x }, out) => backend[op]({ out, x: x! }),
      tolerance: TRANSCENDENTAL_TOLERANCE,
    };
  };
}

function scale(random: Random): OpCase {
  const shape = elementwiseShape(random);
  const factor = random.floats(1, 3)[0]!;
  return {
    op: 'scale',
    label: `x[${shape}] × ${factor.toFixed(3)}`,
    inputs: { x: f32(shape, random.normals(size(shape))) },
    output: { dtype: 'f32', shape },
    run: (backend, { x }, out) => backend.scale({ out, x: x!, factor }),
    tolerance: 1e-12,
  };
}

function swiglu(random: Random): OpCase {
  const shape = elementwiseShape(random);
  return {
    op: 'swiglu',
    label: `gate/up[${shape}]`,
    inputs: { gate: f32(shape, random.normals(size(shape), 4)), up: f32(shape, random.normals(size(shape))) },
    output: { dtype: 'f32', shape },
    run: (backend, { gate, up }, out) => backend.swiglu({ out, gate: gate!, up: up! }),
    tolerance: TRANSCENDENTAL_TOLERANCE,
  };
}

function binary(op: 'add' | 'mul'): OpCaseGenerator {
  return (random) => {
    const shape = elementwiseShape(random);
    const bShape = random.next() < 0.5 ? shape : shape.slice(random.int(1, shape.length - 1 || 1));
    const b = bShape.length ? bShape : shape;
    return {
      op,
      label: `a[${shape}] b[${b}]`,
      inputs: { a: f32(shape, random.normals(size(shape))), b: f32(b, random.normals(size(b))) },
      output: { dtype: 'f32', shape },
      run: (backend, inputs, out) => backend[op]({ out, a: inputs.a!, b: inputs.b! }),
      tolerance: 1e-12,
    };
  };
}

function embedding(random: Random): OpCase {
  const dtype = random.pick<DType>(['f32', 'f16', 'bf16', 'q8_0', 'q4_0']);
  const V = random.int(1, 300);
  const C = dtype === 'q8_0' || dtype === 'q4_0' ? 32 * random.int(1, 8) : random.int(1, 260);
  const N = random.int(1, 40);
  const ids = random.ints(N, V);
  if (random.next() < 0.3) ids[random.int(0, N - 1)] = random.pick([-1, V]); // out of range → zero row
  return {
    op: 'embedding',
    label: `table:${dtype}[${V}, ${C}] ids[${N}]`,
    inputs: { table: weight(dtype, [V, C], random.floats(V * C)), ids: { dtype: 'i32', shape: [N], data: ids } },
    output: { dtype: 'f32', shape: [N, C] },
    run: (backend, { table, ids }, out) => backend.embedding({ out, table: table!, ids: ids! }),
    tolerance: 1e-12,
  };
}

function argmax(random: Random): OpCase {
  const rows = random.int(1, 30);
  const C = random.pick([1, random.int(2, 100), random.int(101, 5000)]);
  return {
    op: 'argmax',
    label: `x[${rows}, ${C}]`,
    inputs: { x: f32([rows, C], random.normals(rows * C)) },
    output: { dtype: 'i32', shape: [rows] },
    run: (backend, { x }, out) => backend.argmax({ out, x: x! }),
    tolerance: 0,
  };
}

/**
 * f32 values whose f16 rounding is an edge: ties either way, the largest finite half and the first
 * value past it, subnormal halves and values that flush to zero, ±0, ±inf, NaN.
 */
const F16_EDGES = [
  1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20, 65504, 65519.99, 65520, -1e6, 2 ** -24, 2 ** -25, 2 ** -25 + 2 ** -40,
  3 * 2 ** -26, 2 ** -14 - 2 ** -25, 1e-10, 0, -0, Infinity, -Infinity, NaN,
];

/** Normals at a random scale, some of them replaced by F16_EDGES: the f32 → f16 conversion's inputs. */
function withF16Edges(random: Random, count: number): Float32Array {
  const values = random.normals(count);
  const scale = random.pick([1e-6, 1, 1000, 60000]);
  for (let i = 0; i < count; i++) values[i]! *= scale;
  for (let i = 0; i < count; i++) if (random.next() < 0.05) values[i] = random.pick(F16_EDGES);
  return values;
}

function copy(random: Random): OpCase {
  const dtype = random.pick<DType>(['f32', 'i32', 'f16']);
  const outType = dtype === 'f32' && random.next() < 0.5 ? 'f16' : dtype; // f32 → f16 converts
  const xSize = random.int(1, 3000);
  const xOffset = random.int(0, xSize - 1);
  const count = random.int(0, xSize - xOffset);
  const outSize = count + random.int(0, 500);
  const outOffset = random.int(0, outSize - count);
  const data =
    dtype === 'i32' ? random.ints(xSize, 1 << 30) : dtype === 'f16' ? toF16(random.normals(xSize)) : outType === 'f16' ? withF16Edges(random, xSize) : random.normals(xSize);
  return {
    op: 'copy',
    label: `${dtype} x[${xSize}] [${xOffset}, +${count}) → ${outType} out[${outSize}] @${outOffset}`,
    inputs: { x: { dtype, shape: [xSize], data } },
    output: { dtype: outType, shape: [outSize] },
    run: (backend, { x }, out) => backend.copy({ out, x: x!, outOffset, xOffset, count }),
    tolerance: 0,
  };
}

export const OP_CASES: Record<OpName, OpCaseGenerator> = {
  matmul,
  matmulSwiglu,
  attention,
  rmsnorm,
  addRmsnorm,
  layernorm,
  rope,
  ropeAppend,
  softmax: unary('softmax'),
  silu: unary('silu'),
  gelu: unary('gelu'),
  swiglu,
  add: binary('add'),
  mul: binary('mul'),
  scale,
  embedding,
  argmax,
  copy,
};
