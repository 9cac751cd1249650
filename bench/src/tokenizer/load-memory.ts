import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { vocabularyPaths } from './vocabularies.js';

/**
 * What loading a vocabulary costs in memory: each probe runs in a fresh Node (`--expose-gc`), imports
 * the library, collects garbage, loads the vocabulary (from its file, as a user would) and encodes
 * one short text (so lazily built tables count), collects garbage again and reports the growth of
 * the JS heap, of memory outside it (ArrayBuffers, wasm) and of the process RSS, with the load time.
 */
export interface LoadMemory {
  heap_mb: number;
  /** ArrayBuffers and wasm memory (`process.memoryUsage().external`). */
  external_mb: number;
  rss_mb: number;
  /**
   * How far RSS rose above where it stood before the load, at its highest during load + encode: the
   * transient parse garbage `rss_mb` no longer shows. Null where the high-water mark cannot be reset
   * (it needs Linux's /proc/self/clear_refs).
   */
  peak_rss_mb: number | null;
  load_ms: number;
}

export interface MemoryProbe {
  impl: string;
  vocabulary: string;
  /** An ESM module body defining `load()` (returns the loaded tokenizer) and `encode(tokenizer)` (calls it once). */
  script: string;
  /** What the numbers include beyond the vocabulary, if anything. */
  note?: string;
}

export function memoryProbes(): MemoryProbe[] {
  const llama3 = vocabularyPaths('llama3');
  return [
    {
      impl: 'cria',
      vocabulary: 'llama3',
      script: `
        import { readFileSync } from 'node:fs';
        import { loadTokenizer } from '@cria/tokenizer';
        const load = () => loadTokenizer(readFileSync(${JSON.stringify(llama3.tokenizerJson)}, 'utf8'), readFileSync(${JSON.stringify(
        llama3.tokenizerConfig,
      )}, 'utf8'));
        const encode = (tokenizer) => tokenizer.encode('Hello, world! Загрузка 你好');`,
    },
    {
      impl: 'transformers.js',
      vocabulary: 'llama3',
      script: `
        import { readFileSync } from 'node:fs';
        import { PreTrainedTokenizer } from '@huggingface/transformers';
        const load = () => new PreTrainedTokenizer(JSON.parse(readFileSync(${JSON.stringify(
          llama3.tokenizerJson,
        )}, 'utf8')), JSON.parse(readFileSync(${JSON.stringify(llama3.tokenizerConfig)}, 'utf8')));
        const encode = (tokenizer) => tokenizer.encode('Hello, world! Загрузка 你好');`,
    },
    {
      impl: 'tiktoken',
      vocabulary: 'cl100k_base',
      script: `
        import { get_encoding } from 'tiktoken';
        const load = () => get_encoding('cl100k_base');
        const encode = (tokenizer) => tokenizer.encode_ordinary('Hello, world! Загрузка 你好');`,
    },
    {
      impl: 'gpt-tokenizer',
      vocabulary: 'cl100k_base',
      script: `
        const load = async () => await import('gpt-tokenizer/encoding/cl100k_base');
        const encode = (tokenizer) => tokenizer.encode('Hello, world! Загрузка 你好');`,
      note: 'the vocabulary loads when its module is imported, so its code is counted too',
    },
  ];
}

const RUNNER = `
  const megabytes = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
  const settle = () => { for (let i = 0; i < 3; i++) globalThis.gc(); return process.memoryUsage(); };
  const probeFs = await import('node:fs');
  const highWater = () => Number(/VmHWM:\\s+(\\d+) kB/.exec(probeFs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024;
  const before = settle();
  // Linux: writing 5 to clear_refs resets VmHWM, so the peak read after the load is the load's own.
  const peakReset = (() => { try { probeFs.writeFileSync('/proc/self/clear_refs', '5'); return true; } catch { return false; } })();
  const started = performance.now();
  const tokenizer = await load();
  const loadMs = performance.now() - started;
  encode(tokenizer);
  const peak = peakReset ? highWater() : NaN;
  const after = settle();
  globalThis.kept = tokenizer;
  process.stdout.write(JSON.stringify({
    heap_mb: megabytes(after.heapUsed - before.heapUsed),
    external_mb: megabytes(after.external - before.external),
    rss_mb: megabytes(after.rss - before.rss),
    peak_rss_mb: Number.isFinite(peak) ? megabytes(peak - before.rss) : null,
    load_ms: Math.round(loadMs),
  }));
`;

/**
 * Runs one probe in a fresh Node. The module is evaluated with the bench package as working
 * directory, so its bare imports resolve from there, as the bench's own imports do.
 */
export async function measureLoadMemory(probe: MemoryProbe): Promise<LoadMemory> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--input-type=module', '-e', `${probe.script}\n${RUNNER}`], {
    cwd: benchRoot(),
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as LoadMemory;
}

/** The bench package's folder, from this file in src/ (tests) or from the bundle in dist/. */
function benchRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(directory, 'package.json')) && JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')).name === '@cria/bench')) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error('bench: cannot find the @cria/bench package folder above ' + fileURLToPath(import.meta.url));
    directory = parent;
  }
  return directory;
}
