import type { DType } from '../dtype.js';
import { toBf16, toF16 } from '../numeric/half.js';
import { quantizeQ4_0, quantizeQ8_0 } from '../numeric/quantize.js';
import type { RopeStyle } from '../ops.js';
import { asFloat32 } from '../reference/storage.js';
import { attentionForTraining } from '../reference/attention-training.js';
import * as forward from '../reference/kernels.js';
import type { BackwardCase, BackwardCaseGenerator, ObjectiveInputs } from './backward-case.js';
import { f32, gradientOf, i32, project, size, valueOutput } from './backward-case.js';
import type { TensorSpec } from './op-cases.js';
import type { Random } from './random.js';

/**
 * Cases of the backward ops. Shapes are small (the finite-difference check re-runs the f64 forward
 * twice per sampled coordinate) and deliberately not multiples of any SIMD width or tile.
 */

/** f32 accumulation in another order than the reference: a few ulps. */
const F32_TOLERANCE = 1e-9;
/** exp and friends in f32 (the wasm polynomial, WGSL's precision) on top of reordered sums. */
const TRANSCENDENTAL_TOLERANCE = 1e-7;

const f64 = (inputs: ObjectiveInputs, name: string) => inputs[name] as Float64Array;

function matmulBackward(random: Random): BackwardCase {
  return random.next() < 0.4 ? frozenWeightMatmulBackward(random) : f32MatmulBackward(random);
}

function f32MatmulBackward(random: Random): BackwardCase {
  const transposeB = random.next() < 0.5;
  const batch = random.pick([1, 1, 2, 3]);
  const broadcast = batch > 1 && random.next() < 0.5;
  const [M, K, N] = [random.pick([1, random.int(2, 9), random.int(10, 45)]), random.int(1, 70), random.int(1, 70)];
  const aShape = batch > 1 ? [batch, M, K] : [M, K];
  const bCore = transposeB ? [N, K] : [K, N];
  const bShape = batch > 1 && !broadcast ? [batch, ...bCore] : bCore;
  const outShape = batch > 1 ? [batch, M, N] : [M, N];
  const withA = random.next() < 0.85;
  const withB = !withA || random.next() < 0.85;
  return {
    op: 'matmulBackward',
    label: `a[${aShape}] b${transposeB ? 'ᵀ' : ''}[${bShape}]${withA ? ' da' : ''}${withB ? ' db' : ''}`,
    inputs: { a: f32(aShape, random.normals(size(aShape))), b: f32(bShape, random.normals(size(bShape))), dout: f32(outShape, random.normals(size(outShape))) },
    outputs: {
      ...(withA ? { da: gradientOf(random, aShape, 'a') } : {}),
      ...(withB ? { db: gradientOf(random, bShape, 'b') } : {}),
    },
    run: (backend, t) => backend.matmulBackward({ da: t.da, db: t.db, dout: t.dout!, a: t.a!, b: t.b!, transposeB }),
    objective: (x) => {
      const out = new Float64Array(size(outShape));
      forward.matmul(out, f64(x, 'a'), f64(x, 'b'), batch, M, N, K, transposeB, broadcast);
      return project(out, f64(x, 'dout'));
    },
    tolerance: F32_TOLERANCE,
  };
}

/** The stored bytes of a weight of `dtype` and the f32 values they decode to (what the op must use). */
function frozenWeight(dtype: Exclude<DType, 'f32' | 'i32'>, shape: number[], values: Float32Array): { spec: TensorSpec; decoded: Float32Array } {
  const count = size(shape);
  const data = dtype === 'f16' ? toF16(values) : dtype === 'bf16' ? toBf16(values) : dtype === 'q8_0' ? quantizeQ8_0(values) : quantizeQ4_0(values);
  return { spec: { dtype, shape, data }, decoded: asFloat32(dtype, data, count) };
}

/**
 * da += dout · W through a frozen W [N, K] stored f16/bf16/Q8_0/Q4_0 (a QLoRA base): da only, as a
 * frozen weight has no gradient. The objective uses the decoded weights: the gradient must be
 * exactly that of the weights the forward computes with, so the tolerance is the f32 one.
 */
function frozenWeightMatmulBackward(random: Random): BackwardCase {
  const dtype = random.pick(['f16', 'bf16', 'q8_0', 'q4_0'] as const);
  const quantized = dtype === 'q8_0' || dtype === 'q4_0';
  const batch = random.pick([1, 1, 1, 2, 3]);
  const broadcast = batch > 1 && random.next() < 0.7;
  const M = random.pick([1, random.int(2, 9), random.int(10, 45)]);
  const K = quantized ? 32 * random.int(1, 3) : random.int(1, 70);
  const N = random.int(1, 70);
  const aShape = batch > 1 ? [batch, M, K] : [M, K];
  const bShape = batch > 1 && !broadcast ? [batch, N, K] : [N, K];
  const outShape = batch > 1 ? [batch, M, N] : [M, N];
  const weight = frozenWeight(dtype, bShape, random.normals(size(bShape)));
  const decoded = Float64Array.from(weight.decoded);
  return {
    op: 'matmulBackward',
    label: `a[${aShape}] bᵀ:${dtype}[${bShape}] da`,
    inputs: { a: f32(aShape, random.normals(size(aShape))), b: weight.spec, dout: f32(outShape, random.normals(size(outShape))) },
    // A dot of N standard normal pairs has standard deviation √N: near-zero sums are scored against it.
    outputs: { da: gradientOf(random, aShape, 'a', Math.sqrt(N)) },
    run: (backend, t) => backend.matmulBackward({ da: t.da, dout: t.dout!, a: t.a!, b: t.b!, transposeB: true }),
    objective: (x) => {
      const out = new Float64Array(size(outShape));
      forward.matmul(out, f64(x, 'a'), decoded, batch, M, N, K, true, broadcast);
      return project(out, f64(x, 'dout'));
    },
    tolerance: F32_TOLERANCE,
  };
}

function rowShape(random: Random, maxRows: number, maxC: number): number[] {
  const C = random.pick([1, random.int(2, 15), random.int(16, maxC)]);
  return random.next() < 0.5 ? [random.int(1, maxRows), C] : [random.int(1, 3), random.int(1, maxRows), C];
}

function rmsnormBackward(random: Random): BackwardCase {
  // C ≥ 2: with C = 1 the output is ±w whatever x, and the exact-zero gradient is all f32 cancellation.
  const shape = rowShape(random, 10, 90).map((d, i, all) => (i === all.length - 1 ? Math.max(2, d) : d));
  const C = shape[shape.length - 1]!;
  const eps = 1e-5;
  const withWeight = random.next() < 0.8;
  return {
    op: 'rmsnormBackward',
    label: `x[${shape}]${withWeight ? ' dweight' : ''}`,
    inputs: { x: f32(shape, random.normals(size(shape), 2)), weight: f32([C], random.floats(C, 2)), dout: f32(shape, random.normals(size(shape))) },
    outputs: { dx: gradientOf(random, shape, 'x'), ...(withWeight ? { dweight: gradientOf(random, [C], 'weight') } : {}) },
    run: (backend, t) => backend.rmsnormBackward({ dx: t.dx!, dweight: t.dweight, dout: t.dout!, x: t.x!, weight: t.weight!, eps }),
    objective: (x) => {
      const out = new Float64Array(size(shape));
      forward.rmsnorm(out, f64(x, 'x'), f64(x, 'weight'), size(shape) / C, C, eps);
      return project(out, f64(x, 'dout'));
    },
    tolerance: F32_TOLERANCE * 10,
  };
}

function ropeBackward(random: Random): BackwardCase {
  const style = random.pick<RopeStyle>(['interleaved', 'half']);
  const shape = [random.int(1, 2), random.int(1, 7), random.int(1, 3), 2 * random.int(1, 20)];
  const positions = random.ints(shape[0]! * shape[1]!, 2048);
  const theta = random.pick([10000, 500000]);
  const D = shape[3]!;
  const inverseFrequencies = random.next() < 0.33 ? Float32Array.from({ length: D / 2 }, (_, i) => Math.pow(theta, (-2 * i) / D) / 8) : undefined;
  return {
    op: 'ropeBackward',
    label: `x[${shape}] ${style}${inverseFrequencies ? ' scaled' : ''}`,
    inputs: { x: f32(shape, random.normals(size(shape))), dout: f32(shape, random.normals(size(shape))), positions: i32(shape.slice(0, 2), positions) },
    outputs: { dx: gradientOf(random, shape, 'x') },
    run: (backend, t) => backend.ropeBackward({ dx: t.dx!, dout: t.dout!, positions: t.positions!, theta, style, inverseFrequencies }),
    objective: (x) => {
      const out = new Float64Array(size(shape));
      forward.rope(out, f64(x, 'x'), x.positions as Int32Array, shape[0]!, shape[1]!, shape[2]!, D, theta, style, inverseFrequencies);
      return project(out, f64(x, 'dout'));
    },
    // The wasm backend's f32 cos/sin table against the reference's f64 angles at positions ~2000.
    tolerance: 1e-5,
  };
}

/** Segment ids for packed sequences: non-decreasing, with random breaks. */
function segments(random: Random, B: number, T: number): Int32Array {
  const ids = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let id = 0;
    for (let t = 0; t < T; t++) {
      if (t > 0 && random.next() < 0.2) id++;
      ids[b * T + t] = id;
    }
  }
  return ids;
}

function attentionShape(random: Random) {
  const nKvHeads = random.int(1, 2);
  const nHeads = nKvHeads * random.pick([1, 2, 3]);
  // T past 64 crosses the wasm kernel's key blocks.
  const [B, T, D] = [random.pick([1, 2]), random.pick([1, random.int(2, 6), random.int(7, 19), random.int(7, 19), random.int(60, 80)]), random.pick([4, 5, 8, 12, 16, 20])];
  return { B, T, nHeads, nKvHeads, D, scale: 1 / Math.sqrt(D), packed: random.next() < 0.5 };
}

function attentionForTrainingCase(random: Random): BackwardCase {
  const shape = attentionShape(random);
  const { B, T, nHeads, nKvHeads, D, scale, packed } = shape;
  const [qShape, kvShape] = [[B, T, nHeads, D], [B, T, nKvHeads, D]];
  return {
    op: 'attentionForTraining',
    label: `q[${qShape}] kv[${kvShape}]${packed ? ' packed' : ''}`,
    inputs: {
      q: f32(qShape, random.normals(size(qShape))),
      k: f32(kvShape, random.normals(size(kvShape))),
      v: f32(kvShape, random.normals(size(kvShape))),
      ...(packed ? { segmentIds: i32([B, T], segments(random, B, T)) } : {}),
    },
    outputs: { out: valueOutput(qShape), logsumexp: valueOutput([B, nHeads, T]) },
    run: (backend, t) => backend.attentionForTraining({ out: t.out!, logsumexp: t.logsumexp!, q: t.q!, k: t.k!, v: t.v!, segmentIds: t.segmentIds, scale }),
    tolerance: TRANSCENDENTAL_TOLERANCE,
  };
}

function attentionBackward(random: Random): BackwardCase {
  const shape = attentionShape(random);
  const { B, T, nHeads, nKvHeads, D, scale, packed } = shape;
  const [qShape, kvShape] = [[B, T, nHeads, D], [B, T, nKvHeads, D]];
  return {
    op: 'attentionBackward',
    label: `q[${qShape}] kv[${kvShape}]${packed ? ' packed' : ''}`,
    inputs: {
      q: f32(qShape, random.normals(size(qShape))),
      k: f32(kvShape, random.normals(size(kvShape))),
      v: f32(kvShape, random.normals(size(kvShape))),
      dout: f32(qShape, random.normals(size(qShape))),
      ...(packed ? { segmentIds: i32([B, T], segments(random, B, T)) } : {}),
    },
    outputs: { dq: gradientOf(random, qShape, 'q'), dk: gradientOf(random, kvShape, 'k'), dv: gradientOf(random, kvShape, 'v') },
    run: (backend, t) => {
      const out = backend.tensor('f32', qShape);
      const logsumexp = backend.tensor('f32', [B, nHeads, T]);
      const { q, k, v, segmentIds } = t;
      backend.attentionForTraining({ out, logsumexp, q: q!, k: k!, v: v!, segmentIds, scale });
      backend.attentionBackward({ dq: t.dq!, dk: t.dk!, dv: t.dv!, dout: t.dout!, q: q!, k: k!, v: v!, out, logsumexp, segmentIds, scale });
      backend.free(out);
      backend.free(logsumexp);
    },
    objective: (x) => {
      const out = new Float64Array(size(qShape));
      const lse = new Float64Array(B * nHeads * T);
      attentionForTraining(out, lse, f64(x, 'q'), f64(x, 'k'), f64(x, 'v'), x.segmentIds as Int32Array | undefined, shape);
      return project(out, f64(x, 'dout'));
    },
    tolerance: TRANSCENDENTAL_TOLERANCE,
  };
}

function elementwiseShape(random: Random): number[] {
  return random.pick([[random.int(1, 9)], [random.int(1, 300)], [random.int(1, 9), random.int(1, 40)], [2, random.int(1, 5), random.int(1, 30)]]);
}

function softmaxBackward(random: Random): BackwardCase {
  const shape = rowShape(random, 8, 100);
  const C = shape[shape.length - 1]!;
  return {
    op: 'softmaxBackward',
    label: `x[${shape}]`,
    inputs: { x: f32(shape, random.normals(size(shape), 3)), dout: f32(shape, random.normals(size(shape))) },
    outputs: { dx: gradientOf(random, shape, 'x') },
    run: (backend, t) => {
      const out = backend.tensor('f32', shape);
      backend.softmax({ out, x: t.x! });
      backend.softmaxBackward({ dx: t.dx!, dout: t.dout!, out });
      backend.free(out);
    },
    objective: (x) => {
      const out = new Float64Array(size(shape));
      forward.softmax(out, f64(x, 'x'), size(shape) / C, C);
      return project(out, f64(x, 'dout'));
    },
    tolerance: TRANSCENDENTAL_TOLERANCE,
  };
}

function activationBackward(op: 'siluBackward' | 'geluBackward'): BackwardCaseGenerator {
  const fn = op === 'siluBackward' ? forward.silu : forward.gelu;
  return (random) => {
    const shape = elementwiseShape(random);
    return {
      op,
      label: `x[${shape}]`,
      inputs: { x: f32(shape, random.normals(size(shape), 3)), dout: f32(shape, random.normals(size(shape))) },
      outputs: { dx: gradientOf(random, shape, 'x') },
      run: (backend, t) => backend[op]({ dx: t.dx!, dout: t.dout!, x: t.x! }),
      objective: (x) => project(Array.from(f64(x, 'x'), fn), f64(x, 'dout')),
      tolerance: TRANSCENDENTAL_TOLERANCE,
    };
  };
}

function swigluBackward(random: Random): BackwardCase {
  const shape = elementwiseShape(random);
  return {
    op: 'swigluBackward',
    label: `gate/up[${shape}]`,
    inputs: { gate: f32(shape, random.normals(size(shape), 3)), up: f32(shape, random.normals(size(shape))), dout: f32(shape, random.normals(size(shape))) },
    outputs: { dgate: gradientOf(random, shape, 'gate'), dup: gradientOf(random, shape, 'up') },
    run: (backend, t) => backend.swigluBackward({ dgate: t.dgate!, dup: t.dup!, dout: t.dout!, gate: t.gate!, up: t.up! }),
    objective: (x) => {
      const [gate, up] = [f64(x, 'gate'), f64(x, 'up')];
      return project(Array.from(gate, (g, i) => forward.silu(g) * up[i]!), f64(x, 'dout'));
    },
    tolerance: TRANSCENDENTAL_TOLERANCE,
  };
}

function embeddingBackward(random: Random): BackwardCase {
  const [V, C, N] = [random.int(1, 40), random.int(1, 70), random.int(1, 60)];
  const ids = random.ints(N, V); // few rows, many tokens: repeated ids exercise the scatter-add
  if (random.next() < 0.3) ids[random.int(0, N - 1)] = random.pick([-1, V]);
  return {
    op: 'embeddingBackward',
    label: `dtable[${V}, ${C}] ids[${N}]`,
    inputs: { table: f32([V, C], random.normals(V * C)), ids: i32([N], ids), dout: f32([N, C], random.normals(N * C)) },
    outputs: { dtable: gradientOf(random, [V, C], 'table') },
    run: (backend, t) => backend.embeddingBackward({ dtable: t.dtable!, dout: t.dout!, ids: t.ids! }),
    objective: (x) => {
      const [table, dout, idArray] = [f64(x, 'table'), f64(x, 'dout'), x.ids as Int32Array];
      let sum = 0;
      for (let n = 0; n < N; n++) {
        const id = idArray[n]!;
        if (id >= 0 && id < V) for (let c = 0; c < C; c++) sum += table[id * C + c]! * dout[n * C + c]!;
      }
      return sum;
    },
    tolerance: F32_TOLERANCE,
  };
}

function binaryBackward(op: 'addBackward' | 'mulBackward'): BackwardCaseGenerator {
  return (random) => {
    const shape = elementwiseShape(random);
    const bShape = random.next() < 0.4 ? shape : shape.slice(random.int(0, shape.length - 1));
    const withA = random.next() < 0.8;
    const withB = !withA || random.next() < 0.8;
    return {
      op,
      label: `a[${shape}] b[${bShape}]${withA ? ' da' : ''}${withB ? ' db' : ''}`,
      inputs: { a: f32(shape, random.normals(size(shape))), b: f32(bShape, random.normals(size(bShape))), dout: f32(shape, random.normals(size(shape))) },
      outputs: { ...(withA ? { da: gradientOf(random, shape, 'a') } : {}), ...(withB ? { db: gradientOf(random, bShape, 'b') } : {}) },
      run: (backend, t) =>
        op === 'addBackward'
          ? backend.addBackward({ da: t.da, db: t.db, dout: t.dout! })
          : backend.mulBackward({ da: t.da, db: t.db, dout: t.dout!, a: t.a!, b: t.b! }),
      objective: (x) => {
        const [a, b] = [f64(x, 'a'), f64(x, 'b')];
        const out = Array.from(a, (value, i) => (op === 'addBackward' ? value + b[i % b.length]! : value * b[i % b.length]!));
        return project(out, f64(x, 'dout'));
      },
      tolerance: F32_TOLERANCE,
    };
  };
}

function scaleBackward(random: Random): BackwardCase {
  const shape = elementwiseShape(random);
  const factor = random.floats(1, 3)[0]!;
  return {
    op: 'scaleBackward',
    label: `x[${shape}] × ${factor.toFixed(3)}`,
    inputs: { x: f32(shape, random.normals(size(shape))), dout: f32(shape, random.normals(size(shape))) },
    outputs: { dx: gradientOf(random, shape, 'x') },
    run: (backend, t) => backend.scaleBackward({ dx: t.dx!, dout: t.dout!, factor }),
    objective: (x) => factor * project(f64(x, 'x'), f64(x, 'dout')),
    tolerance: F32_TOLERANCE,
  };
}

export const BACKWARD_CASES = {
  matmulBackward,
  rmsnormBackward,
  ropeBackward,
  attentionForTraining: attentionForTrainingCase,
  attentionBackward,
  softmaxBackward,
  siluBackward: activationBackward('siluBackward'),
  geluBackward: activationBackward('geluBackward'),
  swigluBackward,
  embeddingBackward,
  addBackward: binaryBackward('addBackward'),
  mulBackward: binaryBackward('mulBackward'),
  scaleBackward,
} satisfies Record<string, BackwardCaseGenerator>;
