// Dev tool: GFLOP/s of the wasm backend's matmul forward against its backward (dA, dB), on the
// linear-layer shapes of a nanoGPT shakespeare-char step (tokens × d_model → 4·d_model), through the
// built bundle. Run `npm run build -w @cria/kernels` first, then:
//   node --experimental-wasm-relaxed-simd scripts/bench-wasm-training.mjs
import { createWasmBackend } from '../dist/index.js';

const random = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

function best(run, repetitions = 5) {
  run();
  let fastest = Infinity;
  for (let r = 0; r < repetitions; r++) {
    const start = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

const gflops = (flops, ms) => (flops / ms / 1e6).toFixed(1);
console.log('| threads | shape (M×K → N) | forward GFLOP/s | dA GFLOP/s | dB GFLOP/s | dA+dB ms |');
console.log('|---|---|---|---|---|---|');
for (const threads of [1, 2]) {
  const backend = await createWasmBackend({ variant: 'relaxed', threads });
  for (const [M, K, N] of [[1024, 384, 1536], [1024, 1536, 384], [1024, 384, 384]]) {
    const a = backend.tensor('f32', [M, K], random(M * K));
    const w = backend.tensor('f32', [N, K], random(N * K)); // the linear-layer layout: y = x · Wᵀ
    const out = backend.tensor('f32', [M, N]);
    const dout = backend.tensor('f32', [M, N], random(M * N));
    const da = backend.tensor('f32', [M, K]);
    const dw = backend.tensor('f32', [N, K]);
    const flops = 2 * M * N * K;
    const forward = best(() => backend.matmul({ out, a, b: w, transposeB: true }));
    const dA = best(() => backend.matmulBackward({ da, dout, a, b: w, transposeB: true }));
    const dB = best(() => backend.matmulBackward({ db: dw, dout, a, b: w, transposeB: true }));
    const both = best(() => backend.matmulBackward({ da, db: dw, dout, a, b: w, transposeB: true }));
    console.log(`| ${threads} | ${M}×${K} → ${N} | ${gflops(flops, forward)} | ${gflops(flops, dA)} | ${gflops(flops, dB)} | ${both.toFixed(1)} |`);
    for (const t of [a, w, out, dout, da, dw]) backend.free(t);
  }
  backend.dispose();
}
