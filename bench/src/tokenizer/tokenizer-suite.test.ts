import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeResults } from '../results/write-results.js';
import { criaContender, tiktokenContender } from './contenders.js';
import { memoryProbes } from './load-memory.js';
import { computeTokenizerBars } from './tokenizer-bars.js';
import { renderTokenizerMarkdown } from './tokenizer-markdown.js';
import { runTokenizerSuite, type TokenizerRow } from './tokenizer-suite.js';

/**
 * Smoke test: the whole tokenizer suite on the --quick corpus with Cria (Llama 3) and tiktoken,
 * and Cria's memory probe: every stage from corpus to markdown, in seconds. No timing is asserted.
 */
describe('tokenizer suite (quick, Cria + tiktoken)', () => {
  it('measures, checks and renders encode, decode and load memory', async () => {
    const result = await runTokenizerSuite({
      quick: true,
      only: null,
      contenders: [criaContender('llama3'), tiktokenContender('cl100k_base')],
      memoryProbes: memoryProbes().filter((probe) => probe.impl === 'cria'),
    });
    expect(result.suite).toBe('tokenizer');
    expect(result.quick).toBe(true);
    const rows = result.rows as TokenizerRow[];
    expect(rows.map((row) => `${row.benchmark} ${row.impl}/${row.vocabulary}`)).toEqual([
      'encode cria/llama3',
      'encode tiktoken/cl100k_base',
      'decode cria/llama3',
      'decode tiktoken/cl100k_base',
      'load cria/llama3',
    ]);
    for (const row of rows.filter((row) => row.benchmark !== 'load')) {
      expect(row.skipped, `${row.benchmark} ${row.impl}`).toBeUndefined();
      expect(row.check, `${row.benchmark} ${row.impl}`).toMatch(/^ok/);
      expect(row.mb_per_s).toBeGreaterThan(0);
      expect(row.tokens).toBeGreaterThan(1000);
    }
    const load = rows.find((row) => row.benchmark === 'load')!;
    expect(load.memory!.heap_mb).toBeGreaterThan(0);
    // The peak during the load is at least where RSS ends (this machine is Linux: the mark can be reset).
    expect(load.memory!.peak_rss_mb).toBeGreaterThanOrEqual(load.memory!.rss_mb);

    const bars = computeTokenizerBars(result.rows);
    expect(bars.find((bar) => bar.bar.includes('tiktoken cl100k_base') && bar.bar.includes('cria Llama 3'))!.ratio).toBeGreaterThan(0);
    expect(bars.find((bar) => bar.bar.includes('transformers.js'))!.status).toBe('NOT MEASURED');

    const markdown = renderTokenizerMarkdown(result);
    for (const heading of ['**Quick run**', '## Bars', '## Encode', '## Decode', '## Memory to load a vocabulary']) expect(markdown).toContain(heading);

    const outDir = mkdtempSync(join(tmpdir(), 'cria-bench-'));
    try {
      const paths = writeResults(result, markdown, outDir);
      expect(paths.json.endsWith('tokenizer-quick.json')).toBe(true);
      expect(JSON.parse(readFileSync(paths.json, 'utf8')).rows).toHaveLength(rows.length);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('only keeps the impls asked for', async () => {
    const result = await runTokenizerSuite({
      quick: true,
      only: ['tiktoken'],
      contenders: [criaContender('llama3'), tiktokenContender('cl100k_base')],
      memoryProbes: [],
    });
    expect(new Set(result.rows.map((row) => row.impl))).toEqual(new Set(['tiktoken']));
  });
});
