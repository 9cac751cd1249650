// Dev tool: GFLOP/s of the wasm backend's f32 matmul and per-call time of its matvecs, through the
// built bundle (dist/index.js). Run `npm run build -w @cria/kernels` first, then:
//   node --experimental-wasm-relaxed-simd scripts/bench-wasm.mjs [--quick] [--only matmul|matvec|prefill]
// Reports the best of several repetitions (the median is noisy on a shared 2-core box).
import { createWasmBackend, quantizeQ4_0, quantizeQ8_0, toBf16, toF16 } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined;
const section = (name) => only === undefined || only === name;
const random = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

function best(run, repetitions) {
  run(); // warm-up: compiles, grows scratch, wakes workers
  let fastest = Infinity;
  for (let r = 0; r < repetitions; r++) {
    const start = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

async function matmul(variant, threads, n, transposeB) {
  const backend = await createWasmBackend({ variant, threads });
  const a = backend.tensor('f32', [n, n], random(n * n));
  const b = backend.tensor('f32', [n, n], random(n * n));
  const out = backend.tensor('f32', [n, n]);
  const ms = best(() => backend.matmul({ out, a, b, transposeB }), quick ? 3 : 10);
  backend.dispose();
  return { ms, gflops: (2 * n ** 3) / ms / 1e6 };
}

const WEIGHTS = { f32: (v) => v, f16: toF16, bf16: toBf16, q8_0: quantizeQ8_0, q4_0: quantizeQ4_0 };

async function matvec(variant, threads, dtype, n, k) {
  const backend = await createWasmBackend({ variant, threads });
  const a = backend.tensor('f32', [1, k], random(k));
  const w = backend.tensor(dtype, [n, k], WEIGHTS[dtype](random(n * k)));
  const out = backend.tensor('f32', [1, n]);
  const ms = best(() => backend.matmul({ out, a, b: w, transposeB: true }), quick ? 5 : 30);
  backend.dispose();
  return ms;
}

const variants = ['simd', 'relaxed'];
if (section('matmul')) console.log('f32 matmul 1024³ (GFLOP/s, best of runs)');
for (const variant of section('matmul') ? variants : []) {
  for (const threads of [1, 2]) {
    const plain = await matmul(variant, threads, 1024, false);
    const transposed = await matmul(variant, threads, 1024, true);
    console.log(`  ${variant.padEnd(7)} ${threads} thread(s): A·B ${plain.gflops.toFixed(1)}  A·Bᵀ ${transposed.gflops.toFixed(1)}`);
  }
}
if (section('matvec')) console.log('matvec 1×4096×4096, weights [N, K] (ms per call, best of runs)');
for (const variant of section('matvec') ? variants : []) {
  for (const threads of [1, 2]) {
    const row = [];
    for (const dtype of Object.keys(WEIGHTS)) row.push(`${dtype} ${(await matvec(variant, threads, dtype, 4096, 4096)).toFixed(2)}`);
    console.log(`  ${variant.padEnd(7)} ${threads} thread(s): ${row.join('  ')}`);
  }
}

// Prefill: a 128-token chunk through the projection shapes of the decode benchmark's models
// (SmolLM2-135M: hidden 576, ffn 1536; TinyLlama-1.1B: hidden 2048, ffn 5632), weights [N, K].
async function prefill(variant, threads, dtype, m, n, k) {
  const backend = await createWasmBackend({ variant, threads });
  const a = backend.tensor('f32', [m, k], random(m * k));
  const w = backend.tensor(dtype, [n, k], WEIGHTS[dtype](random(n * k)));
  const out = backend.tensor('f32', [m, n]);
  const ms = best(() => backend.matmul({ out, a, b: w, transposeB: true }), quick ? 3 : 10);
  backend.dispose();
  return ms;
}

const PREFILL_SHAPES = [[576, 576], [1536, 576], [576, 1536], [2048, 2048], [5632, 2048], [2048, 5632]];
if (section('prefill')) console.log('prefill matmul 128×N×K, weights [N, K] (GMAC/s, best of runs)');
for (const variant of section('prefill') ? variants : []) {
  for (const threads of [1, 2]) {
    for (const [n, k] of PREFILL_SHAPES) {
      const row = [];
      for (const dtype of ['f32', 'q8_0', 'q4_0']) row.push(`${dtype} ${((128 * n * k) / (await prefill(variant, threads, dtype, 128, n, k)) / 1e6).toFixed(1)}`);
      console.log(`  ${variant.padEnd(7)} ${threads} thread(s) N ${String(n).padStart(4)} K ${String(k).padStart(4)}: ${row.join('  ')}`);
    }
  }
}
