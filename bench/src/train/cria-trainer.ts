import * as kernels from '@cria/kernels';
import type { Backend } from '@cria/kernels';
import { LlamaTrainingModel, Trainer } from '@cria/train';
import { errorLine, randomTokens, Unavailable, type TrainContender, type TrainContenderFactory } from './train-contender.js';
import { headDim, stepFlops, type TrainShape } from './train-shapes.js';

/**
 * Cria's training (`@cria/train` on `@cria/kernels`, the built packages users run): HF-style init,
 * AdamW with weight decay 0.1 and clipping at 1, one micro-batch per step. A step is
 * `trainer.trainStep`, which reads the loss back, so its time includes everything up to the update.
 */
type ModelConfig = Parameters<typeof LlamaTrainingModel.initialize>[1];

export function modelConfig(shape: TrainShape): ModelConfig {
  return {
    architecture: 'LlamaForCausalLM',
    hiddenSize: shape.hidden,
    intermediateSize: shape.intermediate,
    numLayers: shape.layers,
    numHeads: shape.heads,
    numKvHeads: shape.kvHeads,
    headDim: headDim(shape),
    vocabSize: shape.vocab,
    rmsNormEps: 1e-5,
    ropeTheta: 10_000,
    ropeStyle: 'half',
    inverseFrequencies: undefined,
    attentionBias: false,
    tieWordEmbeddings: shape.tiedEmbeddings,
    maxPositionEmbeddings: shape.sequence,
    eosTokenIds: [],
  };
}

/** A trainer over `backend` for `shape`; `step` is one timed training step. */
export function criaTrainer(impl: string, backend: Backend, threads: number | null, shape: TrainShape): TrainContender {
  const config = modelConfig(shape);
  // Drawn, uploaded and dropped one tensor at a time.
  const model =
    shape.mode === 'lora'
      ? LlamaTrainingModel.initialize(backend, config, { seed: 1 }, {
          lora: { rank: shape.loraRank, alpha: shape.loraAlpha, targets: ['q', 'k', 'v', 'o'], seed: 1 },
          baseDtype: shape.baseDtype,
        })
      : LlamaTrainingModel.initialize(backend, config, { seed: 1 });
  const trainer = new Trainer(model, {
    weightDecay: 0.1,
    maxGradNorm: 1,
    schedule: { learningRate: 1e-3, warmupSteps: 0, totalSteps: 1_000_000, decay: 'constant' },
  });
  const { ids, targets } = randomTokens(shape);
  const batch = { batchSize: shape.batch, sequenceLength: shape.sequence, ids, targets };
  return {
    impl,
    threads,
    note: backend.info.description,
    step: async () => (await trainer.trainStep([batch])).loss,
    backendBytes: () => {
      const bytes = (backend as { bytesInUse?: unknown }).bytesInUse;
      return typeof bytes === 'number' ? bytes : undefined;
    },
    dispose: () => {
      trainer.dispose();
      model.dispose();
      backend.dispose();
    },
  };
}

type BackendFactory = (options?: Record<string, unknown>) => Promise<Backend>;

function factory(name: string): BackendFactory | undefined {
  const candidate = (kernels as unknown as Record<string, unknown>)[name];
  return typeof candidate === 'function' ? (candidate as BackendFactory) : undefined;
}

/** Cria wasm with 2 threads, on the build the backend picks (relaxed SIMD where the engine has it). */
export function criaWasmFactory(threads = 2): TrainContenderFactory {
  return {
    impl: 'cria-wasm',
    covers: () => true,
    async start(shape) {
      const create = factory('createWasmBackend');
      if (!create) throw new Unavailable('@cria/kernels does not export createWasmBackend', threads);
      const backend = await create({ threads });
      const reported = backend.info.details['threads'];
      return criaTrainer('cria-wasm', backend, typeof reported === 'number' ? reported : threads, shape);
    },
  };
}

/** The reference backend (plain TS): the smoke test's stand-in when wasm is not wanted. */
export function criaReferenceFactory(): TrainContenderFactory {
  return {
    impl: 'cria-reference',
    covers: () => true,
    start: async (shape) => criaTrainer('cria-reference', kernels.createReferenceBackend(), 1, shape),
  };
}

/**
 * Cria WebGPU on whatever adapter Dawn finds. On SwiftShader (WGSL on the CPU) a full-size step
 * takes far longer than the suite can give, so before building the full model the factory times
 * one step of the same model on a single 16-token sequence, and skips the row when the step
 * predicted from that throughput exceeds `maxStepMs`. The prediction only decides the skip (and is
 * written in the reason); it never becomes a row's number.
 */
export function criaWebGPUFactory(maxStepMs: number): TrainContenderFactory {
  return {
    impl: 'cria-webgpu',
    covers: () => true,
    async start(shape, { log }) {
      const create = factory('createWebGPUBackend');
      if (!create) throw new Unavailable('@cria/kernels does not export createWebGPUBackend');
      let backend: Backend;
      try {
        backend = await create();
      } catch (error) {
        throw new Unavailable(`createWebGPUBackend failed: ${errorLine(error)}`);
      }
      const adapter = backend.info.description;
      const probeShape: TrainShape = { ...shape, batch: 1, sequence: Math.min(16, shape.sequence) };
      if (stepFlops(probeShape) < stepFlops(shape)) {
        const probe = criaTrainer('cria-webgpu', backend, null, probeShape);
        await probe.step!(); // pipelines compile on the first step
        const started = performance.now();
        await probe.step!();
        const probeMs = performance.now() - started;
        probe.dispose();
        const predictedMs = (probeMs * stepFlops(shape)) / stepFlops(probeShape);
        log(`cria-webgpu probe (${adapter}): ${Math.round(probeMs)} ms for batch 1 × ${probeShape.sequence} tokens`);
        if (predictedMs > maxStepMs) {
          throw new Unavailable(
            `one step of this model on batch 1 × ${probeShape.sequence} tokens took ${Math.round(probeMs)} ms, so a full step would take about ${Math.round(predictedMs / 1000)} s at that throughput, over the ${Math.round(maxStepMs / 1000)} s per-step cap on ${adapter} (not run)`,
            null,
            adapter,
          );
        }
        backend = await create();
      }
      return criaTrainer('cria-webgpu', backend, null, shape);
    },
  };
}
