import type { Tensor, TrainingBackend } from '@cria/kernels';
import type { ModelConfig } from '@cria/runtime';
import type { Parameter } from '../parameters/parameter-store.js';
import type { Activations, LayerActivations } from './activations.js';
import type { LinearLayer } from './linear.js';

export interface LayerParameters {
  attentionNorm: Parameter; // [C]
  q: LinearLayer; // [H·D, C] (+ bias for Qwen2)
  k: LinearLayer; // [KV·D, C]
  v: LinearLayer; // [KV·D, C]
  o: LinearLayer; // [C, H·D]
  ffnNorm: Parameter; // [C]
  gate: LinearLayer; // [I, C]
  up: LinearLayer; // [I, C]
  down: LinearLayer; // [C, I]
}

/**
 * One pre-norm Llama block, as an explicit forward/backward pair (llm.c style): the forward writes
 * every intermediate the backward needs into `saved`; the backward walks the same ops in reverse.
 * N = B·T rows. The kernels have no reshape, so `copy` moves [N, H·D] rows into the [B, T, H, D]
 * layout rope and attention take, and the gradients back.
 */
export class TransformerLayer {
  readonly #rope: { theta: number; style: ModelConfig['ropeStyle']; inverseFrequencies: Float32Array | undefined };
  readonly #scale: number;

  constructor(
    readonly backend: TrainingBackend,
    readonly config: ModelConfig,
    readonly parameters: LayerParameters,
  ) {
    this.#rope = { theta: config.ropeTheta, style: config.ropeStyle, inverseFrequencies: config.inverseFrequencies };
    this.#scale = 1 / Math.sqrt(config.headDim);
  }

  /** output = the block applied to saved.input; `segmented` adds the packed-batch mask; `training` enables dropout. */
  forward(output: Tensor, saved: LayerActivations, activations: Activations, segmented: boolean, training = false): void {
    const { backend, parameters: p } = this;
    const eps = this.config.rmsNormEps;
    const { positions, scratch } = activations;
    const segmentIds = segmented ? activations.segmentIds : undefined;

    backend.rmsnorm({ out: saved.attentionNormed, x: saved.input, weight: p.attentionNorm.value, eps }); // [N, C]
    p.q.forward(saved.qRows, saved.attentionNormed, scratch, training); // [N, H·D]
    p.k.forward(saved.kRows, saved.attentionNormed, scratch, training); // [N, KV·D]
    p.v.forward(saved.vRows, saved.attentionNormed, scratch, training); // [N, KV·D]
    // qHeads, kHeads, vHeads are views of qRows, kRows, vRows: [N, H·D] is [B, T, H, D].
    backend.rope({ out: saved.qRotated, x: saved.qHeads, positions, ...this.#rope });
    backend.rope({ out: saved.kRotated, x: saved.kHeads, positions, ...this.#rope });
    backend.attentionForTraining({
      out: saved.attended, // [B, T, H, D]
      logsumexp: saved.logsumexp, // [B, H, T]
      q: saved.qRotated,
      k: saved.kRotated,
      v: saved.vHeads,
      segmentIds,
      scale: this.#scale,
    });
    // saved.attendedRows is a view of saved.attended.
    const projected = scratch([activations.N, this.config.hiddenSize]); // [N, C]
    p.o.forward(projected, saved.attendedRows, scratch, training);
    backend.add({ out: saved.middle, a: saved.input, b: projected }); // [N, C]

    backend.rmsnorm({ out: saved.ffnNormed, x: saved.middle, weight: p.ffnNorm.value, eps }); // [N, C]
    p.gate.forward(saved.gate, saved.ffnNormed, scratch, training); // [N, I]
    p.up.forward(saved.up, saved.ffnNormed, scratch, training); // [N, I]
    backend.swiglu({ out: saved.activated, gate: saved.gate, up: saved.up }); // [N, I]
    const down = scratch([activations.N, this.config.hiddenSize]); // [N, C]
    p.down.forward(down, saved.activated, scratch, training);
    backend.add({ out: output, a: saved.middle, b: down }); // [N, C]
  }

  /**
   * On entry `g.residual` holds d(loss)/d(output); on exit it holds d(loss)/d(saved.input).
   * Parameter gradients accumulate into each trainable parameter's `grad`.
   */
  backward(saved: LayerActivations, activations: Activations, segmented: boolean): void {
    const { backend, parameters: p } = this;
    const eps = this.config.rmsNormEps;
    const { positions } = activations;
    const g = activations.gradients;
    const segmentIds = segmented ? activations.segmentIds : undefined;

    // output = middle + down(…): the residual passes d(output) to middle unchanged, and to the MLP.
    backend.copy({ out: g.middle, x: g.residual }); // [N, C]
    activations.zero(g.activated, g.gate, g.up, g.normed);
    p.down.backward(g.activated, g.residual, saved.activated); // [N, I]
    backend.swigluBackward({ dgate: g.gate, dup: g.up, dout: g.activated, gate: saved.gate, up: saved.up });
    p.gate.backward(g.normed, g.gate, saved.ffnNormed); // [N, C]
    p.up.backward(g.normed, g.up, saved.ffnNormed);
    backend.rmsnormBackward({ dx: g.middle, dweight: p.ffnNorm.grad, dout: g.normed, x: saved.middle, weight: p.ffnNorm.value, eps });

    // middle = input + o(attention(…)): same split; g.residual is free again and becomes d(input).
    backend.copy({ out: g.residual, x: g.middle }); // [N, C]
    activations.zero(g.attendedRows, g.qRotated, g.kRotated, g.vHeads, g.qHeads, g.kHeads, g.normed);
    p.o.backward(g.attendedRows, g.middle, saved.attendedRows); // [N, H·D]
    // g.attended is a view of g.attendedRows.
    backend.attentionBackward({
      dq: g.qRotated,
      dk: g.kRotated,
      dv: g.vHeads,
      dout: g.attended,
      q: saved.qRotated,
      k: saved.kRotated,
      v: saved.vHeads,
      out: saved.attended,
      logsumexp: saved.logsumexp,
      segmentIds,
      scale: this.#scale,
    });
    backend.ropeBackward({ dx: g.qHeads, dout: g.qRotated, positions, ...this.#rope });
    backend.ropeBackward({ dx: g.kHeads, dout: g.kRotated, positions, ...this.#rope });
    // g.qRows, g.kRows, g.vRows are views of g.qHeads, g.kHeads, g.vHeads.
    p.q.backward(g.normed, g.qRows, saved.attentionNormed); // [N, C]
    p.k.backward(g.normed, g.kRows, saved.attentionNormed);
    p.v.backward(g.normed, g.vRows, saved.attentionNormed);
    backend.rmsnormBackward({ dx: g.residual, dweight: p.attentionNorm.grad, dout: g.normed, x: saved.input, weight: p.attentionNorm.value, eps });
  }
}
