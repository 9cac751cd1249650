import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli, usage, UsageError } from './cli.js';
import { writeResults } from './results/write-results.js';
import { SUITES } from './suites.js';

/**
 * Entry of `npm run bench -- <suite> [--quick]`. scripts/run.mjs bundles this file and runs it with
 * --experimental-wasm-relaxed-simd and a SwiftShader ICD for WebGPU when no GPU driver is set.
 * Progress goes to stderr; the results to bench/results/<suite>.{json,md}.
 */
const RESULTS_DIR = process.env['CRIA_BENCH_RESULTS'] ?? join(fileURLToPath(new URL('.', import.meta.url)), '..', 'results');

async function main(argv: readonly string[]): Promise<number> {
  const names = Object.keys(SUITES);
  let command;
  try {
    command = parseCli(argv, names);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${usage(names)}\n\n${names.map((name) => `${name}: ${SUITES[name]!.description}`).join('\n')}\n`);
    return 0;
  }

  const { suite: name, quick, only, outDir } = command.options;
  const suite = SUITES[name]!;
  const log = (line: string) => process.stderr.write(`[${name}] ${line}\n`);
  log(`starting${quick ? ' (quick)' : ''}`);
  const result = await suite.run({ quick, only, log });
  const paths = writeResults(result, suite.render(result), outDir ?? RESULTS_DIR);
  log(`done in ${result.elapsed_s} s: ${paths.json}, ${paths.markdown}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
