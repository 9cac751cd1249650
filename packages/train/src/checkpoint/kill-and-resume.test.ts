import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createReferenceBackend } from '@cria/kernels';
import { configFromHf } from '@cria/runtime';
import { expect, it } from 'vitest';
import { loadCheckpoint } from './checkpoint.js';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import { Trainer } from '../trainer.js';
import { temporaryDirectory } from '../testing/test-resources.js';

const directory = temporaryDirectory('cria-train-kill-');

const CONFIG_JSON = JSON.stringify({ architectures: ['LlamaForCausalLM'], vocab_size: 32, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 });

// The child trains with the built package (like the README test) and checkpoints after every step.
const CHILD = `
import { createReferenceBackend } from '@cria/kernels';
import { configFromHf } from '@cria/runtime';
import { LlamaTrainingModel, Trainer, loadCheckpoint, saveCheckpoint } from '@cria/train';
const [path, steps, resume] = [process.argv[2], Number(process.argv[3]), process.argv[4] === 'resume'];
const CONFIG = configFromHf(${CONFIG_JSON});
const backend = createReferenceBackend();
const model = LlamaTrainingModel.initialize(backend, CONFIG, { seed: 4 });
const trainer = new Trainer(model, { weightDecay: 0.1, maxGradNorm: 1, schedule: { learningRate: 1e-2, warmupSteps: 2, totalSteps: 40 } });
if (resume) await loadCheckpoint(path, trainer);
const ids = Int32Array.from({ length: 64 }, (_, i) => (i * 5) % 32);
const targets = Int32Array.from({ length: 64 }, (_, i) => (i * 5 + 5) % 32);
while (trainer.step < steps) {
  const { step, loss } = await trainer.trainStep([{ batchSize: 2, sequenceLength: 32, ids, targets }]);
  await saveCheckpoint(path, trainer, { step, data: { epoch: 0, batch: step }, seeds: { model: 4 } });
  console.log('step ' + step + ' loss ' + loss);
}
`;

function runChild(script: string, args: string[], killAfterStep?: number): Promise<Map<number, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const losses = new Map<number, number>();
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const match of buffered.matchAll(/step (\d+) loss (\S+)\n/g)) losses.set(Number(match[1]), Number(match[2]));
      // SIGKILL lands while the next step trains or its checkpoint is being written.
      if (killAfterStep !== undefined && losses.has(killAfterStep)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', () => resolve(losses));
  });
}

it('a run killed with SIGKILL resumes from its last checkpoint with the same losses', async () => {
  const script = join(import.meta.dirname, '../../.kill-and-resume-child.mjs');
  writeFileSync(script, CHILD);
  try {
    const straight = await runChild(script, [join(directory, 'straight.safetensors'), '12']);
    expect(straight.size).toBe(12);
    const path = join(directory, 'killed.safetensors');
    const killed = await runChild(script, [path, '12'], 3);
    expect(killed.size).toBeLessThan(12);
    expect(existsSync(path)).toBe(true);
    // The checkpoint on disk is whole (it loads) and is the last completed step or the one after.
    const backend = createReferenceBackend();
    const probe = new Trainer(LlamaTrainingModel.initialize(backend, configFromHf(JSON.parse(CONFIG_JSON)), { seed: 4 }), { schedule: { learningRate: 0, totalSteps: 1 } });
    const saved = (await loadCheckpoint(path, probe)).step;
    backend.dispose();
    expect(saved).toBeGreaterThanOrEqual(Math.max(...killed.keys()));
    const resumed = await runChild(script, [path, '12', 'resume']);
    for (let step = saved + 1; step <= 12; step++) expect(resumed.get(step), `step ${step}`).toBe(straight.get(step));
    expect(readdirSync(directory).filter((file) => file.includes('.tmp-')).length).toBeLessThanOrEqual(1); // at most the one the kill interrupted
  } finally {
    rmSync(script, { force: true });
  }
});
