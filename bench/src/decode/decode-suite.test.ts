import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgufFile, openFileSource } from '@cria/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { computeDecodeBars } from './decode-bars.js';
import { renderDecodeMarkdown } from './decode-markdown.js';
import type { DecodeRow } from './decode-suite.js';
import { benchPrompt, probeSpeeds, runDecodeSuite } from './decode-suite.js';
import { startChildRunner } from './spawn-child.js';
import { ensureModelFile, planTensors } from './model-file.js';
import { QUICK_MODELS } from './model-shapes.js';

/**
 * Smoke test of the decode suite on the --quick model: the streamed GGUF generator (checked against
 * the runtime's reader), the cache, every impl in its own child process (the CPU ones taking turns),
 * the bars and the markdown.
 * No timing is asserted.
 */
const directory = mkdtempSync(join(tmpdir(), 'cria-decode-bench-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('decode suite', () => {
  it('writes a GGUF the runtime reads back, and reuses it from the cache', async () => {
    const spec = QUICK_MODELS[0]!;
    const first = ensureModelFile(spec, directory);
    expect(first.generated).toBe(true);
    const file = await GgufFile.open(await openFileSource(first.path));
    const planned = planTensors(spec);
    expect([...file.tensors.keys()]).toEqual(planned.map((tensor) => tensor.name));
    for (const tensor of planned) expect(file.info(tensor.name).shape).toEqual(tensor.shape);
    const norm = await file.readF32('output_norm.weight');
    expect(Math.abs(norm.reduce((sum, value) => sum + value, 0) / norm.length - 1)).toBeLessThan(0.05);
    expect(ensureModelFile(spec, directory).generated).toBe(false);
  });

  it('counts WebGPU dispatches and submits per token without a timed run, when asked (the big-model path)', async () => {
    const file = ensureModelFile(QUICK_MODELS[0]!, directory);
    const runner = await startChildRunner();
    try {
      const request = { impl: 'cria-webgpu' as const, modelPath: file.path, threads: 2, prompt: benchPrompt(4), generate: 4, contextSize: 16, kvValuesPerPosition: 1, countOnly: true };
      const result = await runner.start(request, { timeoutMs: 120_000, log: () => {} }).ready();
      if (result === 'ready') throw new Error('a counting child must answer with its result, not ready');
      expect(result.skipped).toMatch(/^speed not measured: only the per-token counters/);
      expect(result.repetitions).toEqual([]);
      expect(result.webgpu!.submitsPerToken).toBe(1);
      expect(result.webgpu!.dispatchesPerToken).toBeGreaterThan(10);
    } finally {
      runner.dispose();
    }
  });

  it('answers with the probe when the full WebGPU run would not fit the cap, and the row takes its speed from it', async () => {
    const file = ensureModelFile(QUICK_MODELS[0]!, directory);
    const runner = await startChildRunner();
    try {
      const request = { impl: 'cria-webgpu' as const, modelPath: file.path, threads: 2, prompt: benchPrompt(16), generate: 8, contextSize: 32, kvValuesPerPosition: 1, maxPredictedMs: 1 };
      const result = await runner.start(request, { timeoutMs: 120_000, log: () => {} }).ready();
      if (result === 'ready') throw new Error('a 1 ms cap must make the child skip its full run');
      expect(result.skipped).toMatch(/^too slow on this adapter for the 0 s cap per run \(probe: 8-token prefill \d+ ms, one decode step \d+ ms;/);
      expect(result.probe).toMatchObject({ promptTokens: 8, steps: 4 });
      expect(result.probe!.prefillMs).toBeGreaterThan(0);
      const speeds = probeSpeeds(result.probe!);
      expect(speeds.decode_tokens_per_s).toBeCloseTo(4 / (result.probe!.decodeMs / 1000), 1);
      expect(speeds.note).toBe("tok/s from the probe's one pass (8-token prefill, 4 decode steps), not the full run");
    } finally {
      runner.dispose();
    }
  });

  it('runs every impl in its own process and renders the report', async () => {
    const result = await runDecodeSuite({ quick: true, only: null, modelDirectory: directory });
    const rows = result.rows as DecodeRow[];
    // The main run, then the long-context phase of the CPU impls.
    expect(rows.map((row) => `${row.impl}${row.long_context ? ' (long)' : ''}`)).toEqual(['cria-wasm', 'llama.cpp', 'cria-webgpu', 'cria-webgpu-host', 'cria-wasm (long)', 'llama.cpp (long)']);
    const wasm = rows.find((row) => row.impl === 'cria-wasm')!;
    const longWasm = rows.find((row) => row.impl === 'cria-wasm' && row.long_context)!;
    expect(longWasm).toMatchObject({ prompt_tokens: 40, generated_tokens: 4 });
    expect(longWasm.decode_tokens_per_s).toBeGreaterThan(0);
    expect(wasm.skipped).toBeUndefined();
    expect(wasm.threads).toBe(2);
    expect(wasm.decode_tokens_per_s).toBeGreaterThan(0);
    expect(wasm.prefill_tokens_per_s).toBeGreaterThan(0);
    expect(wasm.peak_rss_bytes).toBeGreaterThan(0);
    // The floor (Node with a worker thread, nothing loaded) was measured in this run, below the real child.
    expect(wasm.node_floor_rss_bytes).toBeGreaterThan(0);
    expect(wasm.node_floor_rss_bytes).toBeLessThan(wasm.peak_rss_bytes!);
    expect(String(result.method['node_floor'])).toMatch(/once one worker thread has started/);
    // llama.cpp and WebGPU may be missing on some machines: then their rows say why.
    for (const row of rows) expect(row.skipped !== undefined || row.decode_tokens_per_s! > 0, `${row.impl}: ${row.skipped}`).toBe(true);
    // The CPU impls took turns: each got the same number of timed passes.
    const llama = rows.find((row) => row.impl === 'llama.cpp')!;
    if (!llama.skipped) expect(llama.runs).toBe(wasm.runs);
    expect(String(result.method['interleaving'])).toContain('alternate');
    const gpu = rows.find((row) => row.impl === 'cria-webgpu')!;
    if (!gpu.skipped) expect(gpu.submits_per_token).toBe(1);
    // The null device: the same path with no GPU work, so it runs in full, with no tokens to compare.
    const host = rows.find((row) => row.impl === 'cria-webgpu-host')!;
    expect(host.skipped).toBeUndefined();
    expect(host).toMatchObject({ threads: null, submits_per_token: 1, check: null });
    expect(host.first_tokens).toBeUndefined();
    expect(host.decode_tokens_per_s).toBeGreaterThan(0);
    expect(host.record_ms_per_token).toBeGreaterThan(0);

    const bars = computeDecodeBars(rows);
    expect(bars.map((bar) => bar.bar)).toHaveLength(4);
    const markdown = renderDecodeMarkdown(result);
    expect(markdown).toContain('**Quick run**');
    expect(markdown).toContain('## Bars');
    expect(markdown).toContain('## tiny Q8_0');
    expect(markdown).toContain('## Long context');
  }, 120_000);
});
