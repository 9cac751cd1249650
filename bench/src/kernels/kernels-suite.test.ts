import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeResults } from '../results/write-results.js';
import { criaReferenceFactory } from './cria-contender.js';
import { renderKernelsMarkdown } from './kernels-markdown.js';
import { runKernelsSuite } from './kernels-suite.js';
import { createNaiveContender } from './naive-contender.js';

/**
 * Smoke test: the whole kernels suite on --quick shapes through Cria's reference backend and the
 * naive JS loops — every stage from case data to markdown, in seconds. No timing is asserted.
 */
describe('kernels suite (quick, reference backend + naive JS)', () => {
  it('measures every case, checks every output and renders the report', async () => {
    const result = await runKernelsSuite({
      quick: true,
      only: null,
      factories: [criaReferenceFactory(), async () => [createNaiveContender(10_000)]],
    });

    expect(result.suite).toBe('kernels');
    expect(result.quick).toBe(true);
    expect(result.machine.cores).toBeGreaterThan(0);
    expect(result.impls.map((impl) => impl.impl)).toEqual(['cria-reference', 'naive-js']);

    const benchmarks = new Set(result.rows.map((row) => row.benchmark));
    expect([...benchmarks]).toEqual(['matmul', 'decode matvec', 'attention decode', 'attention prefill']);
    // The reference backend covers every weight type; naive JS only f32.
    const decode = result.rows.filter((row) => row.benchmark === 'decode matvec');
    expect(decode.map((row) => `${row.impl}:${row.dtype}`)).toEqual(['cria-reference:f32', 'naive-js:f32', 'cria-reference:q8_0', 'cria-reference:q4_0']);

    for (const row of result.rows) {
      expect(row.skipped, `${row.impl} ${row.benchmark} ${row.shape}`).toBeUndefined();
      expect(row.check).toBe('ok');
      expect(row.runs).toBeGreaterThan(0);
      expect(row.median_ms).toBeGreaterThan(0);
      expect(row.gflops).toBeGreaterThan(0);
    }
    expect(decode.every((row) => row.gbps !== null)).toBe(true);

    const markdown = renderKernelsMarkdown(result);
    expect(markdown).toContain('**Quick run**');
    expect(markdown).toContain('## Bars');
    expect(markdown).toContain('## Attention, prefill');
    expect(markdown).toContain('NOT MEASURED'); // no wasm rows here

    const outDir = mkdtempSync(join(tmpdir(), 'cria-bench-'));
    try {
      const paths = writeResults(result, markdown, outDir);
      expect(paths.json.endsWith('kernels-quick.json')).toBe(true);
      expect(JSON.parse(readFileSync(paths.json, 'utf8')).rows).toHaveLength(result.rows.length);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
