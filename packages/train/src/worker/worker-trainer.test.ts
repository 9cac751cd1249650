import { browserModelLocation, createEngine, TINY_LLAMA, type MessageEndpoint } from '@cria/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NothingToLearnError } from '../data/packing-stats.js';
import { TrainingInputError } from '../errors.js';
import { parsePeftAdapter } from '../export/peft-adapter.js';
import { tinyLlamaCheckpoint } from '../testing/test-resources.js';
import { createWorkerTrainer, type WorkerTrainer } from './create-worker-trainer.js';
import type { FineTuneEvent, FineTuneJob } from './fine-tune-job.js';
import { serveTrainer } from './serve-trainer.js';

// The page ⇄ training worker protocol over a MessageChannel: the same structured clone as a Web
// Worker, in one process (apps/demo's e2e test runs it in a real worker in Chromium).
function workerPair(): MessageEndpoint {
  const channel = new MessageChannel();
  serveTrainer(channel.port2 as unknown as MessageEndpoint);
  return channel.port1 as unknown as MessageEndpoint;
}

const DATASET = [
  ['hi', 'Hello from Cria!'],
  ['name?', 'I am a tiny llama.'],
  ['2+2?', 'four'],
  ['color?', 'blue'],
].map(([user, assistant]) => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }] })).join('\n');

const checkpoint = tinyLlamaCheckpoint('cria-worker-trainer-');
let trainer: WorkerTrainer;
let job: FineTuneJob;

beforeAll(() => {
  trainer = createWorkerTrainer(workerPair());
  job = { model: checkpoint.hf, dataset: DATASET, backend: 'wasm', sequenceLength: 48, batchSize: 2, epochs: 20, learningRate: 3e-3 };
});
afterAll(() => trainer?.dispose());

describe('createWorkerTrainer', () => {
  it('fine-tunes in the worker, streams every step, exports a model that chats with what it learned', async () => {
    const events: FineTuneEvent[] = [];
    const result = await trainer.fineTune({ ...job, samplePrompt: 'hi', sampleTokens: 16 }, { onEvent: (event) => events.push(event) }).result;
    const started = events.find((event) => event.type === 'started');
    const steps = events.filter((event) => event.type === 'step');
    expect(started).toMatchObject({ type: 'started', trainRows: 4, batchSize: 2, totalSteps: 40, packing: { train: { samples: 4, overlongSamples: 0, droppedTokens: 0 } } });
    expect(steps.map((event) => event.step)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    expect(steps.every((event) => event.tokensPerSecond > 0 && Number.isFinite(event.gradNorm))).toBe(true);
    console.log(`worker fine-tune on ${result.backend}: loss ${steps[0]!.loss.toFixed(3)} → ${result.finalLoss.toFixed(4)}`);
    expect(result.finalLoss).toBeLessThan(steps[0]!.loss / 4);
    expect(result.stopped).toBe(false);
    expect(result.model.map((file) => file.name).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(result.adapter).toBeUndefined();

    // The exported folder, as Blobs, is a model @cria/runtime loads (what the demo's Chat tab does).
    const engine = await createEngine({ model: browserModelLocation({ files: result.model }), backend: 'wasm' });
    const reply = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }], temperature: 0, max_tokens: 16 });
    await engine.dispose();
    // Every sample fits in 48 tokens, so its <|im_end|> was learned: the reply is the answer, then a stop.
    expect(reply.choices[0].message.content).toBe('Hello from Cria!');
    expect(reply.choices[0].finish_reason).toBe('stop');
    // The worker sampled the weights while they trained: after the last step, the exported model's reply.
    const samples = events.filter((event) => event.type === 'sample');
    expect(samples.map((event) => event.step)).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36, 40]);
    expect(samples.at(-1)).toEqual({ type: 'sample', step: 40, prompt: 'hi', text: reply.choices[0].message.content });
  });

  it('trains LoRA adapters, holds out an evaluation split and exports a PEFT adapter', async () => {
    const events: FineTuneEvent[] = [];
    const result = await trainer.fineTune({ ...job, epochs: 3, evalFraction: 0.25, lora: { rank: 4, alpha: 8, targets: ['q', 'v'] } }, { onEvent: (event) => events.push(event) }).result;
    const started = events.find((event) => event.type === 'started')!;
    expect(started).toMatchObject({ evalRows: 1, trainRows: 3 });
    if (started.type === 'started') expect(started.trainableParameters).toBeLessThan(started.parameters / 10);
    expect(events.some((event) => event.type === 'eval' && Number.isFinite(event.loss))).toBe(true);
    expect(result.finalEvalLoss).toBeGreaterThan(0);
    const [config, weights] = result.adapter!;
    const adapter = await parsePeftAdapter(await config!.blob.text(), new Uint8Array(await weights!.blob.arrayBuffer()));
    expect(adapter.lora).toMatchObject({ rank: 4, alpha: 8, targets: ['q', 'v'] });
    expect(adapter.weights.size).toBe(2 * 2 * TINY_LLAMA.numLayers);
  });

  it('stops early and still exports; a cancelled run rejects with an AbortError', async () => {
    let run = trainer.fineTune(job, { onEvent: (event) => event.type === 'step' && event.step === 3 && run.stop() });
    const result = await run.result;
    expect(result.stopped).toBe(true);
    expect(result.steps).toBeGreaterThanOrEqual(3);
    expect(result.steps).toBeLessThan(40);
    expect(result.model.length).toBeGreaterThan(0);

    const controller = new AbortController();
    run = trainer.fineTune(job, { signal: controller.signal, onEvent: (event) => event.type === 'step' && controller.abort() });
    await expect(run.result).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reports over-long samples in the started event: dropped by default, truncated on request', async () => {
    const long = JSON.stringify({ messages: [{ role: 'user', content: 'tell me a long story' }, { role: 'assistant', content: 'Once upon a time there was a tiny llama.' }] });
    const dataset = `${DATASET}\n${long}`;
    for (const overlong of ['drop', 'truncate'] as const) {
      const events: FineTuneEvent[] = [];
      await trainer.fineTune({ ...job, dataset, epochs: 1, overlong }, { onEvent: (event) => events.push(event) }).result;
      const started = events.find((event) => event.type === 'started');
      if (started?.type !== 'started') throw new Error('no started event');
      expect(started.packing.train).toMatchObject({ policy: overlong, samples: 5, overlongSamples: 1, [overlong === 'drop' ? 'droppedSamples' : 'truncatedSamples']: 1 });
      expect(started.packing.train.droppedLearnedTokens).toBeGreaterThan(0);
    }
    const error = await trainer.fineTune({ ...job, dataset: long }).result.catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(NothingToLearnError);
    expect(error).toBeInstanceOf(TrainingInputError);
    expect((error as NothingToLearnError).stats).toMatchObject({ samples: 1, droppedSamples: 1, sequenceLength: 48 });
    expect((error as Error).message).toMatch(/raise sequenceLength to \d+, or pass overlong: 'truncate'/);
  });

  it('rebuilds typed errors on the page side', async () => {
    const error = await trainer.fineTune({ ...job, dataset: '{"prompt": 1}' }).result.catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(TrainingInputError);
    expect((error as TrainingInputError).subject).toBe('dataset:1');
  });
});
