import { byteLength } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import type { TrainingOps } from '../training-ops.js';
import * as check from '../validate-training.js';
import { checkFill } from '../validate-training.js';
import { BINARY_ADD, DTYPE_CODES, type KernelArguments, type KernelExports, type KernelName } from './kernel-exports.js';
import { fillRopeTable, ropeTableFloats } from './rope-table.js';
import type { WasmMemory } from './wasm-memory.js';

/**
 * The wasm backend's TrainingOps. The matmul backward is the forward's packed SIMD matmul on
 * transposed operands (dA = dY·Bᵀ, dB = Aᵀ·dY with Aᵀ from the `transpose` kernel), summed into
 * the gradient; through a frozen f16/bf16/Q8_0/Q4_0 weight, dA comes from `frozenWeightGradient`,
 * which decodes the weight's blocks into cache-sized panels and adds straight into dA. The other
 * ops have kernels in kernels/assembly/training (SIMD where it pays; the distillation loss is
 * scalar f64 code, threaded by rows).
 *
 * Reductions are partitioned by output element (db, dweight, dtable rows), never by input row, so
 * results are bit-identical for every thread count.
 */
export interface WasmTrainingContext {
  memory: WasmMemory;
  kernels: KernelExports;
  at(tensor: Tensor): number;
  assertLive(op: string, ...tensors: (Tensor | undefined)[]): void;
  run<K extends KernelName>(threads: number, kernel: K, ...args: KernelArguments<K>): void;
  threadsFor(work: number): number;
  /** The forward f32 matmul on raw offsets (out is overwritten). */
  matmul(out: number, a: number, b: number, batch: number, M: number, N: number, K: number, transposeB: boolean, broadcastB: boolean): void;
}

const DIVERGENCE_CODES = { 'forward-kl': 0, 'reverse-kl': 1, jsd: 2 } as const;
const ACTIVATION_SILU = 0;
const ACTIVATION_GELU = 1;

export function createWasmTrainingOps(context: WasmTrainingContext): TrainingOps {
  const { memory, kernels, at, run, threadsFor } = context;
  /** Runs `body` with temporary buffers of the given float counts, freed afterwards. */
  const withTemporary = (floats: number[], body: (...offsets: number[]) => void) => {
    const offsets: number[] = [];
    try {
      for (const count of floats) offsets.push(memory.allocate(Math.max(16, count * 4)));
      body(...offsets);
    } finally {
      for (const offset of offsets) memory.free(offset);
    }
  };
  const accumulate = (target: number, source: number, size: number) =>
    run(threadsFor(size), 'binary', BINARY_ADD, target, target, source, size, size);
  const optional = (t: Tensor | undefined) => (t ? at(t) : 0);
  /** da [batch, M, K] += dout [batch, M, N] · W [N, K] for a non-f32 W, decoded block by block in the kernel. */
  const frozenWeightGradient = (da: number, dout: number, weight: Tensor, batch: number, M: number, N: number, K: number, broadcastB: boolean) => {
    const threads = threadsFor(batch * M * N * K);
    const stride = Math.ceil(kernels.frozenWeightGradientScratchBytes() / 16) * 16;
    const dtype = DTYPE_CODES[weight.dtype as keyof typeof DTYPE_CODES];
    // One weight for every batch: the batches are just more rows.
    const [products, rows] = broadcastB || batch === 1 ? [1, batch * M] : [batch, M];
    const weightBytes = byteLength(weight.dtype, [N, K]);
    withTemporary([(stride / 4) * threads], (scratch) => {
      for (let p = 0; p < products; p++) {
        run(threads, 'frozenWeightGradient', da + p * M * K * 4, dout + p * M * N * 4, at(weight) + p * weightBytes, rows, N, K, dtype, scratch, stride);
      }
    });
  };

  return {
    matmulBackward(params) {
      const { da, db, dout, a, b, transposeB } = params;
      context.assertLive('matmulBackward', da, db, dout, a, b);
      const { batch, M, N, K, broadcastB } = check.checkMatmulBackward(params);
      if (batch * M * N * K === 0) return;
      if (da && b.dtype !== 'f32') {
        frozenWeightGradient(at(da), at(dout), b, batch, M, N, K, broadcastB);
      } else if (da) {
        withTemporary([batch * M * K], (product) => {
          // dA = dY · Bᵀ: B [K, N] read as a transposed operand; B [N, K] as a plain one.
          context.matmul(product, at(dout), at(b), batch, M, K, N, !transposeB, broadcastB);
          accumulate(at(da), product, batch * M * K);
        });
      }
      if (db) {
        // One db for all batches (broadcast B): the batches stack into one long inner dimension.
        const single = broadcastB || batch === 1;
        const [groups, rows] = single ? [1, batch * M] : [batch, M];
        const size = db.size;
        withTemporary([batch * M * Math.max(K, N), size], (transposed, product) => {
          if (!transposeB) {
            run(threadsFor(batch * M * K), 'transpose', transposed, at(a), groups, rows, K); // Aᵀ [groups, K, rows]
            context.matmul(product, transposed, at(dout), groups, K, N, rows, false, false);
          } else {
            run(threadsFor(batch * M * N), 'transpose', transposed, at(dout), groups, rows, N); // dYᵀ [groups, N, rows]
            context.matmul(product, transposed, at(a), groups, N, K, rows, false, false);
          }
          accumulate(at(db), product, size);
        });
      }
    },

    rmsnormBackward(params) {
      const { dx, dweight, dout, x, weight, eps } = params;
      context.assertLive('rmsnormBackward', dx, dweight, dout, x, weight);
      const { rows, C } = check.checkRmsNormBackward(params);
      if (rows * C === 0) return;
      withTemporary([rows], (inverses) => {
        run(threadsFor(rows * C), 'rmsnormBackwardRows', at(dx), at(dout), at(x), at(weight), inverses, rows, C, eps);
        if (dweight) run(threadsFor(rows * C), 'rmsnormBackwardWeight', at(dweight), at(dout), at(x), inverses, rows, C);
      });
    },

    ropeBackward(params) {
      const { dx, dout, positions, theta, style, inverseFrequencies } = params;
      context.assertLive('ropeBackward', dx, dout, positions);
      const { B, T, nHeads, D } = check.checkRopeBackward(params);
      const tokens = B * T;
      if (dx.size === 0) return;
      const rowFloats = ropeTableFloats(D, style);
      withTemporary([tokens * rowFloats, dx.size], (table, rotated) => {
        // The inverse rotation is the rotation by −angle: the forward kernel on negated positions.
        const negated = Int32Array.from(memory.int32(at(positions), tokens), (position) => -position);
        fillRopeTable(memory.float32(table, tokens * rowFloats), negated, D, style, inverseFrequencies ?? theta);
        run(threadsFor(dx.size), 'rope', rotated, at(dout), table, tokens, nHeads, D, style === 'interleaved' ? 1 : 0);
        accumulate(at(dx), rotated, dx.size);
      });
    },

    attentionForTraining(params) {
      const { out, logsumexp, q, k, v, segmentIds, scale } = params;
      context.assertLive('attentionForTraining', out, logsumexp, q, k, v, segmentIds);
      const { B, T, nHeads, nKvHeads, D } = check.checkAttentionForTraining(params);
      if (out.size === 0) return;
      const threads = threadsFor(B * T * T * nHeads * D);
      const stride = Math.ceil(kernels.attentionTrainingScratchBytes(D) / 16) * 16;
      withTemporary([(stride / 4) * threads], (scratch) => {
        run(threads, 'attentionTraining', at(out), at(logsumexp), at(q), at(k), at(v), optional(segmentIds), B, T, nHeads, nKvHeads, D, scale, scratch, stride);
      });
    },

    attentionBackward(params) {
      const { dq, dk, dv, dout, q, k, v, out, logsumexp, segmentIds, scale } = params;
      context.assertLive('attentionBackward', dq, dk, dv, dout, q, k, v, out, logsumexp, segmentIds);
      const { B, T, nHeads, nKvHeads, D } = check.checkAttentionBackward(params);
      if (out.size === 0) return;
      const threads = threadsFor(B * T * T * nHeads * D);
      const segments = optional(segmentIds);
      withTemporary([B * nHeads * T], (deltas) => {
        // dq first: it also writes the Δ = dout·out rows the key pass reads.
        run(threads, 'attentionBackwardQuery', at(dq), deltas, at(dout), at(q), at(k), at(v), at(out), at(logsumexp), segments, B, T, nHeads, nKvHeads, D, scale);
        run(threads, 'attentionBackwardKey', at(dk), at(dv), deltas, at(dout), at(q), at(k), at(v), at(logsumexp), segments, B, T, nHeads, nKvHeads, D, scale);
      });
    },

    softmaxBackward(params) {
      context.assertLive('softmaxBackward', params.dx, params.dout, params.out);
      const { rows, C } = check.checkSoftmaxBackward(params);
      if (rows * C === 0) return;
      run(threadsFor(rows * C * 2), 'softmaxBackward', at(params.dx), at(params.dout), at(params.out), rows, C);
    },

    siluBackward(params) {
      context.assertLive('siluBackward', params.dx, params.dout, params.x);
      check.checkActivationBackward('siluBackward', params);
      run(threadsFor(params.x.size * 4), 'activationBackward', ACTIVATION_SILU, at(params.dx), at(params.dout), at(params.x), params.x.size);
    },

    geluBackward(params) {
      context.assertLive('geluBackward', params.dx, params.dout, params.x);
      check.checkActivationBackward('geluBackward', params);
      run(threadsFor(params.x.size * 4), 'activationBackward', ACTIVATION_GELU, at(params.dx), at(params.dout), at(params.x), params.x.size);
    },

    swigluBackward(params) {
      const { dgate, dup, dout, gate, up } = params;
      context.assertLive('swigluBackward', dgate, dup, dout, gate, up);
      check.checkSwigluBackward(params);
      run(threadsFor(gate.size * 4), 'swigluBackward', at(dgate), at(dup), at(dout), at(gate), at(up), gate.size);
    },

    embeddingBackward(params) {
      context.assertLive('embeddingBackward', params.dtable, params.dout, params.ids);
      const { N, V, C } = check.checkEmbeddingBackward(params);
      if (N * C === 0) return;
      run(threadsFor(N * C), 'embeddingBackward', at(params.dtable), at(params.dout), at(params.ids), N, V, C);
    },

    addBackward(params) {
      const { da, db, dout } = params;
      context.assertLive('addBackward', da, db, dout);
      const { size, bSize } = check.checkAddBackward(params);
      if (size === 0) return;
      if (da) run(threadsFor(size), 'scaledAccumulate', at(da), at(dout), 0, size, size, 1);
      if (db) run(threadsFor(size), 'broadcastReduce', at(db), at(dout), 0, size, bSize);
    },

    mulBackward(params) {
      const { da, db, dout, a, b } = params;
      context.assertLive('mulBackward', da, db, dout, a, b);
      const { size, bSize } = check.checkMulBackward(params);
      if (size === 0) return;
      if (da) run(threadsFor(size), 'scaledAccumulate', at(da), at(dout), at(b), size, bSize, 1);
      if (db) run(threadsFor(size), 'broadcastReduce', at(db), at(dout), at(a), size, bSize);
    },

    scaleBackward(params) {
      context.assertLive('scaleBackward', params.dx, params.dout);
      check.checkActivationBackward('scaleBackward', { dx: params.dx, dout: params.dout, x: params.dout });
      const size = params.dx.size;
      if (size > 0) run(threadsFor(size), 'scaledAccumulate', at(params.dx), at(params.dout), 0, size, size, params.factor);
    },

    crossEntropy(params) {
      const { loss, dlogits, logits, targets, dloss = 1 } = params;
      context.assertLive('crossEntropy', loss, dlogits, logits, targets);
      const { rows, C } = check.checkCrossEntropy(params);
      const count = memory.int32(at(targets), rows).reduce((total, target) => total + (target >= 0 && target < C ? 1 : 0), 0);
      if (count === 0) return void memory.float32(at(loss), 1).fill(0);
      withTemporary([rows], (rowLosses) => {
        run(threadsFor(rows * C * 3), 'crossEntropy', rowLosses, optional(dlogits), at(logits), at(targets), rows, C, dloss / count);
        // Summed on the host in f64 and in row order: the same loss for every thread count.
        const values = memory.float32(rowLosses, rows);
        let total = 0;
        for (let r = 0; r < rows; r++) total += values[r]!;
        memory.float32(at(loss), 1)[0] = total / count;
      });
    },

    distillationLoss(params) {
      const { loss, dlogits, logits, teacherLogits, teacherIndices, teacherLogprobs, mask } = params;
      context.assertLive('distillationLoss', loss, dlogits, logits, teacherLogits, teacherIndices, teacherLogprobs, mask);
      const { rows, C, k } = check.checkDistillationLoss(params);
      const { divergence, beta = 0.5, temperature = 1, dloss = 1 } = params;
      const count = mask ? memory.int32(at(mask), rows).reduce((total, value) => total + (value !== 0 ? 1 : 0), 0) : rows;
      if (count === 0 || C === 0) return void memory.float32(at(loss), 1).fill(0);
      const threads = threadsFor(rows * C * 8);
      const stride = Math.ceil(kernels.distillationScratchBytes(C) / 16) * 16;
      withTemporary([rows, (stride / 4) * threads], (rowLosses, scratch) => {
        run(threads, 'distillation', rowLosses, optional(dlogits), at(logits), optional(teacherLogits), optional(teacherIndices),
          optional(teacherLogprobs), optional(mask), rows, C, k, DIVERGENCE_CODES[divergence], beta, temperature,
          (dloss * temperature) / count, scratch, stride);
        const values = memory.float32(rowLosses, rows);
        let total = 0;
        for (let r = 0; r < rows; r++) total += values[r]!;
        memory.float32(at(loss), 1)[0] = (temperature * temperature * total) / count;
      });
    },

    adamw(params) {
      const { clip, learningRate, beta1, beta2, eps, weightDecay, step, gradScale = 1 } = params;
      context.assertLive('adamw', params.params, params.grads, params.m, params.v, clip?.sumOfSquares);
      const size = check.checkAdamW(params);
      const clipping = clip ? Math.min(1, clip.maxNorm / (Math.sqrt(memory.float32(at(clip.sumOfSquares), 1)[0]!) + 1e-6)) : 1;
      const stepSize = learningRate / (1 - Math.pow(beta1, step));
      const inverseCorrection2 = 1 / Math.sqrt(1 - Math.pow(beta2, step));
      run(threadsFor(size * 4), 'adamw', at(params.params), at(params.grads), at(params.m), at(params.v), size,
        beta1, beta2, eps, stepSize, inverseCorrection2, 1 - learningRate * weightDecay, gradScale * clipping);
    },

    sumOfSquares(params) {
      context.assertLive('sumOfSquares', params.out, ...params.tensors);
      check.checkSumOfSquares(params);
      let total = 0;
      for (const tensor of params.tensors) total += kernels.squaredSum(at(tensor), tensor.size);
      memory.float32(at(params.out), 1)[0] = total;
    },

    fill(params) {
      context.assertLive('fill', params.out);
      checkFill(params);
      memory.float32(at(params.out), params.out.size).fill(params.value);
    },
  };
}
