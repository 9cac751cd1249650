import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorLine, randomTokens, Unavailable, type TrainContender, type TrainContenderFactory } from './train-contender.js';
import { headDim, type TrainShape } from './train-shapes.js';

/**
 * The JavaScript peer: the same Llama-style model written with TensorFlow.js ops on its wasm
 * backend (XNNPACK), gradients by `tf.variableGrads`, `tf.train.adam` plus the decoupled weight
 * decay of AdamW applied by hand (tfjs has no AdamW). Full training only: tfjs has no LoRA.
 * Asked for 2 threads; in Node its multi-threaded build cannot start, so the row records the one
 * `getThreadsCount()` reports.
 */
const WANTED_THREADS = 2;
const WEIGHT_DECAY = 0.1;
/**
 * Sequences per gradient pass. A pass over all 16 sequences of 256 tokens aborted tfjs-wasm here
 * (`Aborted()` in batchMatMul after the heap grew: its tape holds every [16, 6, 256, 256] score
 * tensor of every layer), so a step sums the
 * gradients of 4 passes of 4, as gradient accumulation does: the same tokens and update per step.
 */
const MICRO_BATCH = 4;
const LEARNING_RATE = 1e-3;

type Tf = typeof import('@tensorflow/tfjs-core');
type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Variable = import('@tensorflow/tfjs-core').Variable;

let started: Promise<{ tf: Tf; threads: number; simd: boolean }> | undefined;

/**
 * tfjs-core's Node build (`main`) registers no gradients: `@tensorflow/tfjs` does, by importing
 * `register_all_gradients` from tfjs-core's ES-module build, whose extensionless imports Node cannot
 * load. So esbuild bundles that one module at start-up into a temporary file; the registry it fills
 * is tfjs' global one, shared with the Node build we run.
 */
async function registerGradients(): Promise<void> {
  const { build } = await import('esbuild');
  const directory = mkdtempSync(join(tmpdir(), 'cria-bench-tfjs-'));
  const outfile = join(directory, 'register-all-gradients.mjs');
  try {
    await build({
      stdin: { contents: "import '@tensorflow/tfjs-core/dist/register_all_gradients.js';", resolveDir: dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json')) },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'silent',
    });
    await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function startTfjs(): Promise<{ tf: Tf; threads: number; simd: boolean }> {
  const tf = await import('@tensorflow/tfjs-core');
  await registerGradients();
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(WANTED_THREADS);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  return { tf, threads: wasm.getThreadsCount(), simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean };
}

export function tfjsFactory(): TrainContenderFactory {
  return {
    impl: 'tfjs-wasm',
    covers: (shape) => shape.mode === 'full',
    // A full-size step takes minutes here (about 4 when the machine was shared): 1 warm-up and 1 timed step.
    policy: { minSteps: 1, maxSteps: 1 },
    async start(shape) {
      let runtime;
      try {
        runtime = await (started ??= startTfjs());
      } catch (error) {
        throw new Unavailable(`could not start: ${errorLine(error)}`, 1);
      }
      return tfjsTrainer(runtime.tf, shape, runtime.threads, runtime.simd);
    },
  };
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T, key: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value, key)]));
}

function tfjsTrainer(tf: Tf, shape: TrainShape, threads: number, simd: boolean): TrainContender {
  const { hidden: C, heads: H, kvHeads: KV, intermediate: F, vocab: V, batch: B, sequence: T, layers: L } = shape;
  const D = headDim(shape);
  const group = H / KV;
  const seed = { value: 1 };
  const normal = (rows: number, columns: number) => tf.variable(tf.randomNormal([rows, columns], 0, 0.02, 'float32', seed.value++));
  const ones = () => tf.variable(tf.ones([C]));
  const layers = Array.from({ length: L }, () => ({
    attentionNorm: ones(),
    q: normal(H * D, C),
    k: normal(KV * D, C),
    v: normal(KV * D, C),
    o: normal(C, H * D),
    ffnNorm: ones(),
    gate: normal(F, C),
    up: normal(F, C),
    down: normal(C, F),
  }));
  const embedding = normal(V, C);
  const finalNorm = ones();
  const head = normal(V, C);
  const variables: Variable[] = [embedding, finalNorm, head, ...layers.flatMap((layer) => Object.values(layer))];
  const decayed = variables.filter((variable) => variable.rank >= 2);

  const { ids, targets } = randomTokens(shape);
  // One micro-batch of `MICRO_BATCH` sequences per gradient pass (see MICRO_BATCH); b rows each.
  const b = Math.min(B, MICRO_BATCH);
  const micro = Math.ceil(B / b);
  const slice = (values: Int32Array, index: number) => values.subarray(index * b * T, (index + 1) * b * T);
  // oneHot's own float32 output is garbage on tfjs-wasm 4.22: cast from int32.
  const oneHot = (values: Int32Array) => tf.cast(tf.oneHot(tf.tensor1d(values, 'int32'), V), 'float32'); // [b·T, V]
  const idsOneHot = Array.from({ length: micro }, (_, index) => oneHot(slice(ids, index)));
  const targetsOneHot = Array.from({ length: micro }, (_, index) => oneHot(slice(targets, index)));
  // RoPE tables (half split), [T, D] broadcast over [B, H, T, D]; the causal mask [T, T].
  const inverse = Array.from({ length: D / 2 }, (_, i) => 1 / 10_000 ** ((2 * i) / D));
  const angles = new Float32Array(T * D);
  for (let t = 0; t < T; t++) for (let i = 0; i < D; i++) angles[t * D + i] = t * inverse[i % (D / 2)]!;
  const cos = tf.tensor2d(angles.map(Math.cos), [T, D]);
  const sin = tf.tensor2d(angles.map(Math.sin), [T, D]);
  const maskValues = new Float32Array(T * T);
  for (let row = 0; row < T; row++) for (let column = row + 1; column < T; column++) maskValues[row * T + column] = -1e9;
  const mask = tf.tensor2d(maskValues, [T, T]);

  // Functional ops only: tfjs-core's chained methods (x.mul) need a side-effect import to exist.
  const rmsnorm = (x: Tensor, weight: Tensor) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-5))), weight);
  const linear = (x: Tensor, weight: Tensor) => tf.matMul(x, weight, false, true);
  const rope = (x: Tensor) => {
    const [first, second] = tf.split(x, 2, -1);
    return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(second!), first!], -1), sin));
  };
  const heads = (x: Tensor, count: number) => tf.transpose(tf.reshape(x, [b, T, count, D]), [0, 2, 1, 3]); // [b, count, T, D]
  const repeatKv = (x: Tensor) => (group === 1 ? x : tf.reshape(tf.concat(Array.from({ length: group }, () => tf.expandDims(x, 2)), 2), [b, H, T, D]));

  const loss = (index: number): Tensor => {
    // tfjs-wasm has no UnsortedSegmentSum, gather's gradient: the lookup is a one-hot matmul.
    let x = tf.matMul(idsOneHot[index]!, embedding); // [b·T, C]
    for (const layer of layers) {
      const n = rmsnorm(x, layer.attentionNorm);
      const q = rope(heads(linear(n, layer.q), H)); // [b, H, T, D]
      const k = repeatKv(rope(heads(linear(n, layer.k), KV)));
      const v = repeatKv(heads(linear(n, layer.v), KV));
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), mask); // [b, H, T, T]
      const y = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [b * T, H * D]);
      x = tf.add(x, linear(y, layer.o));
      const m = rmsnorm(x, layer.ffnNorm);
      const gate = linear(m, layer.gate);
      x = tf.add(x, linear(tf.mul(tf.mul(gate, tf.sigmoid(gate)), linear(m, layer.up)), layer.down));
    }
    const logits = linear(rmsnorm(x, finalNorm), head); // [N, V]
    return tf.mul(tf.losses.softmaxCrossEntropy(targetsOneHot[index]!, logits), 1 / micro);
  };

  const optimizer = tf.train.adam(LEARNING_RATE, 0.9, 0.999, 1e-8);
  return {
    impl: 'tfjs-wasm',
    threads,
    note: `XNNPACK ${simd ? 'SIMD' : 'scalar'} build; setThreadsCount(${WANTED_THREADS}) → getThreadsCount() = ${threads}; tf.variableGrads + tf.train.adam, AdamW's decoupled weight decay applied by hand; embedding as a one-hot matmul (tfjs-wasm lacks the gather gradient's UnsortedSegmentSum); attention materialises the T×T scores${
      micro > 1 ? `; ${micro} gradient passes of ${b} sequences per step, summed (one pass over all ${B} aborted tfjs-wasm in batchMatMul here as its heap grew)` : ''
    }`,
    step: async () => {
      // Gradients of the micro-batches summed (each loss scaled by 1 / micro), then one update.
      let total: Record<string, Tensor> | undefined;
      let value = tf.scalar(0);
      for (let index = 0; index < micro; index++) {
        const pass = tf.variableGrads(() => loss(index) as import('@tensorflow/tfjs-core').Scalar, variables);
        const sum = tf.tidy(() => ({ value: tf.add(value, pass.value), grads: total ? mapValues(pass.grads, (grad, name) => tf.add(total![name]!, grad)) : pass.grads }));
        for (const tensor of [value, pass.value, ...(total ? [...Object.values(total), ...Object.values(pass.grads)] : [])]) tensor.dispose();
        value = sum.value as Tensor as import('@tensorflow/tfjs-core').Scalar;
        total = sum.grads;
      }
      tf.tidy(() => {
        for (const variable of decayed) variable.assign(tf.mul(variable, 1 - LEARNING_RATE * WEIGHT_DECAY));
        // Typed as variables, but tfjs reads only the gradients' values by variable name.
        optimizer.applyGradients(total as unknown as Parameters<typeof optimizer.applyGradients>[0]);
      });
      for (const grad of Object.values(total!)) grad.dispose();
      const result = (await value.data())[0]!;
      value.dispose();
      return result;
    },
    dispose: () => {
      optimizer.dispose();
      for (const tensor of [...variables, ...idsOneHot, ...targetsOneHot, cos, sin, mask]) tensor.dispose();
    },
  };
}
