import { execFileSync } from 'node:child_process';

/**
 * The resident set no Node program can go under: a fresh Node, with the flags the benchmark's
 * children get, that starts one worker thread (the wasm backend's second compute thread is one)
 * and loads nothing else. Peak RSS ratios of a small model are measured against weights + KV
 * cache; this says how much of the peak is the JavaScript runtime itself.
 */
export interface NodeFloor {
  /** maxRSS of a fresh Node that only prints it. */
  bareBytes: number;
  /** maxRSS of a fresh Node after one worker thread has started and answered. */
  withWorkerBytes: number;
}

const SCRIPT = `
const { Worker } = require('node:worker_threads');
const bare = process.resourceUsage().maxRSS * 1024;
const worker = new Worker('require("node:worker_threads").parentPort.postMessage(0)', { eval: true });
worker.once('message', async () => {
  console.log(JSON.stringify({ bareBytes: bare, withWorkerBytes: process.resourceUsage().maxRSS * 1024 }));
  await worker.terminate();
});
`;

/** The median of `runs` fresh processes (each one costs ~50 ms). */
export function measureNodeFloor(execArgv: readonly string[], runs = 3): NodeFloor {
  const samples = Array.from({ length: runs }, () => JSON.parse(execFileSync(process.execPath, [...execArgv, '-e', SCRIPT], { encoding: 'utf8', timeout: 30_000 })) as NodeFloor);
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
  return { bareBytes: median(samples.map((sample) => sample.bareBytes)), withWorkerBytes: median(samples.map((sample) => sample.withWorkerBytes)) };
}
