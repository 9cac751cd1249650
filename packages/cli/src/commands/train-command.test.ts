import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '@cria/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, makeTinyModel, runCli, type TinyModel } from '../../test/spawn-cli.js';
import { CHECKPOINT_FILE, LOG_FILE } from './train-command.js';

/** A tiny mapping the random test model cannot know: "say N" → "N N N". */
function tinyJsonl(count: number): string {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ prompt: `say ${i % 8}`, completion: ` ${i % 8} ${i % 8} ${i % 8}` })).join('\n');
}

describe('cria train (built CLI, spawned)', () => {
  let model: TinyModel;
  let data: string;
  beforeAll(() => {
    buildCli();
    model = makeTinyModel();
    data = join(model.dir, 'data.jsonl');
    writeFileSync(data, tinyJsonl(40));
  });
  afterAll(() => model?.remove());

  const readLines = (out: string) => readFileSync(join(out, LOG_FILE), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  /** The step records (after the packing header). */
  const readLog = (out: string) => readLines(out).filter((entry) => 'step' in entry) as Array<Record<string, number>>;

  it('LoRA fine-tunes the tiny model: the loss falls, the log has every field, and the outputs load in createEngine', async () => {
    const out = join(model.dir, 'run-lora');
    const result = await runCli(
      [
        'train', '-m', model.hf, '-d', data, '-o', out, '--lora-rank', '8', '--lora-targets', 'q,k,v,o,gate,up,down', '--epochs', '6', '--lr', '1e-2', '--batch', '2', '--seq-len', '32',
        '--seed', '1', '--export', 'gguf:q8_0', '--checkpoint-every', '10', '--sample-prompt', 'say 3', '--sample-tokens', '6',
      ],
      { timeoutMs: 120_000 },
    );
    expect(result.stderr).toContain('done:');
    expect(result.code).toBe(0);
    expect(readLines(out)[0]).toMatchObject({ packing: { train: { policy: 'drop', overlongSamples: 0, droppedTokens: 0 }, eval: { overlongSamples: 0 } } });
    expect(result.stderr).not.toContain('warning');
    const log = readLog(out);
    expect(Object.keys(log[0]!)).toEqual(['step', 'loss', 'lr', 'grad_norm', 'tokens_per_second']);
    const evals = log.filter((entry) => entry['eval_loss'] !== undefined);
    expect(evals.length).toBe(6);
    const first = log.slice(0, 3).reduce((sum, entry) => sum + entry['loss']!, 0) / 3;
    const last = log.slice(-3).reduce((sum, entry) => sum + entry['loss']!, 0) / 3;
    console.log(`cria train LoRA: ${log.length} steps, loss ${first.toFixed(3)} → ${last.toFixed(3)}, eval ${evals[0]!['eval_loss']!.toFixed(3)} → ${evals.at(-1)!['eval_loss']!.toFixed(3)}`);
    expect(last).toBeLessThan(first * 0.6);
    expect(evals.at(-1)!['eval_loss']!).toBeLessThan(evals[0]!['eval_loss']!);
    // --sample-prompt: a greedy reply from the training weights (adapters unmerged) after each epoch; the last is the exported model's.
    const samples = log.filter((entry) => entry['sample'] !== undefined).map((entry) => entry['sample'] as unknown as string);
    expect(samples).toHaveLength(6);
    expect(result.stderr).toContain(`epoch 6: sample "say 3" → ${JSON.stringify(samples.at(-1))}`);
    const exported = await createEngine({ model: join(out, 'model'), backend: 'wasm' });
    expect((await exported.completions.create({ prompt: 'say 3', max_tokens: 6, temperature: 0 })).choices[0].text).toBe(samples.at(-1));
    await exported.dispose();
    for (const path of [join(out, 'model'), join(out, 'model-q8_0.gguf')]) {
      const engine = await createEngine({ model: path, backend: 'wasm' });
      const reply = await engine.completions.create({ prompt: 'say 3', max_tokens: 4, temperature: 0 });
      expect(reply.usage.completion_tokens).toBeGreaterThan(0);
      await engine.dispose();
    }
    expect(JSON.parse(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16 });
  });

  it('resumes from the checkpoint and continues the step count', async () => {
    const out = join(model.dir, 'run-resume');
    const common = ['train', '-m', model.hf, '-d', data, '-o', out, '--lora-rank', '4', '--batch', '2', '--seq-len', '32', '--checkpoint-every', '5'];
    expect((await runCli([...common, '--epochs', '1'], { timeoutMs: 60_000 })).code).toBe(0);
    const before = readLog(out).length;
    expect(readFileSync(join(out, CHECKPOINT_FILE)).byteLength).toBeGreaterThan(0);
    const resumed = await runCli([...common, '--epochs', '2', '--resume'], { timeoutMs: 60_000 });
    expect(resumed.stderr).toContain(`at step ${before}`);
    expect(resumed.code).toBe(0);
    const log = readLog(out);
    expect(log.map((entry) => entry['step'])).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
  });

  it('LoRA fine-tunes from a Q8_0 GGUF: a quantized frozen base, a PEFT adapter, a loss that falls', async () => {
    const out = join(model.dir, 'run-gguf');
    const result = await runCli(['train', '-m', model.gguf, '--tokenizer', model.hf, '-d', data, '-o', out, '--lora-rank', '4', '--epochs', '3', '--lr', '1e-2', '--batch', '2', '--seq-len', '32', '--seed', '1'], { timeoutMs: 60_000 });
    expect(result.stderr).toContain('(q8_0 base)');
    expect(result.code, result.stderr).toBe(0);
    const log = readLog(out).filter((entry) => entry['loss'] !== undefined);
    expect(log.at(-1)!['loss']!).toBeLessThan(log[0]!['loss']!);
    expect(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8')).toContain('"r": 4');
    const refused = await runCli(['train', '-m', model.gguf, '-d', data, '-o', join(model.dir, 'y')]);
    expect(refused.stderr).toContain('needs --tokenizer');
  });

  it('reports over-long samples before training: dropped by default, truncated with --overlong truncate, an error when nothing is left', async () => {
    const long = Array.from({ length: 4 }, (_, i) => JSON.stringify({ prompt: `tell ${i}`, completion: ` ${'and then '.repeat(20)}${i}` }));
    const mixed = join(model.dir, 'mixed.jsonl');
    writeFileSync(mixed, [tinyJsonl(12), ...long].join('\n'));
    const common = ['train', '-m', model.hf, '-d', mixed, '--lora-rank', '4', '--epochs', '1', '--batch', '2', '--seq-len', '32', '--eval-split', '0'];
    const dropped = await runCli([...common, '-o', join(model.dir, 'run-drop')], { timeoutMs: 60_000 });
    expect(dropped.code, dropped.stderr).toBe(0);
    const warning = dropped.stderr.split('\n').find((line) => line.startsWith('warning: training split:'))!;
    console.log(`cria train warns: ${warning}`);
    expect(warning).toMatch(/^warning: training split: 4 samples of 16 are longer than 32 tokens \(longest: \d+\) and were dropped: \d+ tokens \(\d+ learned\) are not trained on\. To keep them, raise --seq-len to \d+/);
    expect(dropped.stderr.indexOf(warning)).toBeLessThan(dropped.stderr.indexOf('step 1/'));
    expect(readLines(join(model.dir, 'run-drop'))[0]).toMatchObject({ packing: { train: { samples: 16, packedSamples: 12, overlongSamples: 4, droppedSamples: 4, truncatedSamples: 0 }, eval: null } });

    const truncated = await runCli([...common, '-o', join(model.dir, 'run-truncate'), '--overlong', 'truncate'], { timeoutMs: 60_000 });
    expect(truncated.code, truncated.stderr).toBe(0);
    expect(truncated.stderr).toMatch(/warning: training split: 4 samples of 16 are longer than 32 tokens \(longest: \d+\): 4 samples were truncated to the first 32 tokens, losing the end-of-turn token/);
    expect(readLines(join(model.dir, 'run-truncate'))[0]).toMatchObject({ packing: { train: { packedSamples: 16, truncatedSamples: 4, droppedSamples: 0 } } });

    const onlyLong = join(model.dir, 'long.jsonl');
    writeFileSync(onlyLong, long.join('\n'));
    const refused = await runCli(['train', '-m', model.hf, '-d', onlyLong, '-o', join(model.dir, 'run-none'), '--seq-len', '32', '--eval-split', '0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--data \(training split\): expected samples with learned tokens within 32 tokens, got none: 4 of 4 samples are longer \(longest: (\d+)\) and were dropped\. Hint: raise --seq-len to \1, or pass --overlong truncate/);
    expect((await runCli([...common, '-o', join(model.dir, 'x'), '--overlong', 'wrap'])).stderr).toContain('--overlong');
  });

  it('explains what is wrong with the command line', async () => {
    const result = await runCli(['train', '-m', model.hf, '-o', join(model.dir, 'x')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--data is required');
  });
});
