// Measures host memory while @cria/train sets up QLoRA (LoRA r8 on q/k/v/o over a frozen Q4_0 base) on
// SmolLM2-135M's (or with --shape tinyllama, TinyLlama-1.1B's) shapes, read from a Q4_0 GGUF with random weights (the decode bench's generator,
// bench/src/decode/model-file.ts; cached in $CRIA_BENCH_MODELS or the temp directory).
//
// Each run is a fresh child process; it reports its peak RSS (process.resourceUsage().maxRSS), the RSS
// before the load, and the bytes the wasm backend holds afterwards. Host memory of the load ≈ peak RSS
// − RSS before − backend bytes (the wasm memory is part of the RSS).
//
// Usage: node packages/train/scripts/measure-setup-memory.mjs [--train path/to/train/dist/index.js] [--api stream|map] [--runs 3] [--shape smollm2|tinyllama]
//   --api map: the API before tensor-by-tensor loading (loadGgufTrainingWeights + fromWeights), for a
//   build of an earlier commit; stream (default): openGgufWeightsFile + LlamaTrainingModel.load.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const { values } = parseArgs({
  options: {
    train: { type: 'string', default: join(root, 'packages/train/dist/index.js') },
    api: { type: 'string', default: 'stream' },
    runs: { type: 'string', default: '3' },
    shape: { type: 'string', default: 'smollm2' },
    child: { type: 'string' },
  },
});

const LORA = { rank: 8, alpha: 16, targets: ['q', 'k', 'v', 'o'], seed: 1 };

if (values.child) {
  // One measured setup: open the GGUF, build the QLoRA model on wasm, report.
  const { createWasmBackend } = await import('@cria/kernels');
  const train = await import(pathToFileURL(resolve(values.train)).href);
  const backend = await createWasmBackend({ threads: 1 });
  const rssBefore = process.memoryUsage().rss;
  let model;
  if (values.api === 'map') {
    const gguf = await train.loadGgufTrainingWeights(values.child);
    model = train.LlamaTrainingModel.fromWeights(backend, gguf.config, gguf.weights, { lora: LORA, baseDtype: gguf.baseDtype });
  } else {
    const source = await train.openGgufWeightsFile(values.child);
    model = await train.LlamaTrainingModel.load(backend, source, { lora: LORA, baseDtype: source.quantizedBase });
  }
  const report = { maxRssBytes: process.resourceUsage().maxRSS * 1024, rssBeforeBytes: rssBefore, backendBytes: backend.bytesInUse, parameters: model.parameters.count };
  model.dispose();
  backend.dispose();
  console.log(JSON.stringify(report));
  process.exit(0);
}

// The model file, through the decode bench's generator (TypeScript: bundled first).
const work = join(tmpdir(), 'cria-setup-memory');
mkdirSync(work, { recursive: true });
const entry = join(work, 'write-model.ts');
writeFileSync(entry, [
  `import { ensureModelFile } from ${JSON.stringify(join(root, 'bench/src/decode/model-file.ts'))};`,
  `import { SMOLLM2_135M, TINYLLAMA_1_1B } from ${JSON.stringify(join(root, 'bench/src/decode/model-shapes.ts'))};`,
  `console.log(JSON.stringify(ensureModelFile({ shape: ${values.shape === 'tinyllama' ? 'TINYLLAMA_1_1B' : 'SMOLLM2_135M'}, type: 'Q4_0', seed: 1 })));`,
].join('\n'));
const bundle = join(root, 'bench/dist', `write-model-${process.pid}.mjs`);
await build({ entryPoints: [entry], outfile: bundle, bundle: true, format: 'esm', platform: 'node', packages: 'external', logLevel: 'warning' });
const modelFile = JSON.parse(execFileSync(process.execPath, [bundle], { encoding: 'utf8' }));
execFileSync('rm', ['-f', bundle]);
console.error(`model ${modelFile.path}: ${(modelFile.bytes / 2 ** 20).toFixed(1)} MiB (${(modelFile.weightBytes / 2 ** 20).toFixed(1)} MiB of tensor data)`);

const MiB = (bytes) => (bytes / 2 ** 20).toFixed(1);
const runs = [];
for (let run = 0; run < Number(values.runs); run++) {
  const output = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', fileURLToPath(import.meta.url), '--child', modelFile.path, '--train', values.train, '--api', values.api], { encoding: 'utf8', cwd: root });
  const report = JSON.parse(output.trim().split('\n').at(-1));
  runs.push(report);
  console.error(`run ${run + 1}: peak RSS ${MiB(report.maxRssBytes)} MiB, RSS before load ${MiB(report.rssBeforeBytes)} MiB, backend ${MiB(report.backendBytes)} MiB → host ${MiB(report.maxRssBytes - report.rssBeforeBytes - report.backendBytes)} MiB`);
}
const median = (numbers) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)];
const summary = {
  api: values.api,
  shape: values.shape,
  train: values.train,
  model: modelFile.path,
  runs: runs.length,
  medianPeakRssMiB: Number(MiB(median(runs.map((r) => r.maxRssBytes)))),
  medianHostMiB: Number(MiB(median(runs.map((r) => r.maxRssBytes - r.rssBeforeBytes - r.backendBytes)))),
  backendMiB: Number(MiB(runs[0].backendBytes)),
  all: runs,
};
console.log(JSON.stringify(summary, null, 2));
