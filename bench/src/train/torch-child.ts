import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorLine, Unavailable, type TrainContenderFactory } from './train-contender.js';
import type { TrainShape } from './train-shapes.js';

/**
 * PyTorch CPU (Debian python3-torch) as a child process running the committed torch_train.py,
 * which builds the same model, times its own steps and prints JSON, with the cores other processes
 * used during each step (read from /proc/stat, as machine-load.ts does).
 *
 * OpenBLAS: Debian's torch is built with BLAS_INFO=generic and calls whatever libblas.so.3 the
 * alternatives system points at: the reference BLAS of libblas3, or OpenBLAS once
 * libopenblas0-pthread is installed. The child gets OPENBLAS_CORETYPE (Cooperlake: AVX-512) and
 * OPENBLAS_VERBOSE=2; the row's note says which library the child mapped and the core OpenBLAS
 * reported using (Debian's OpenBLAS 0.3.21 does not recognise the name "Cooperlake" but detects
 * that core itself on this CPU).
 */
export const PYTHON = process.env['CRIA_BENCH_PYTHON'] ?? '/usr/bin/python3';
// Next to this file under vitest; from the bundle that scripts/run.mjs writes to bench/dist, in src/train.
const SCRIPT_CANDIDATES = [new URL('./torch_train.py', import.meta.url), new URL('../src/train/torch_train.py', import.meta.url)];

export interface TorchSettings {
  threads: number;
  warmupSteps: number;
  steps: number;
  minSteps: number;
  /** The child stops adding timed steps once another would pass this. */
  capMs: number;
  /** A step timed while other processes used more cores than this is timed again (up to `steps`). */
  loadedCores: number;
  /** OPENBLAS_CORETYPE for the child; null leaves OpenBLAS to detect the core. */
  openblasCoreType: string | null;
}

interface TorchOutput {
  torch: string;
  threads: number;
  blas: string[];
  openblas_coretype: string | null;
  cpu_capability: string | null;
  params: number;
  trainable_params: number;
  warmup_ms: number;
  step_ms: number[];
  /** Cores other processes used during each timed step (/proc/stat less the child's own CPU time). */
  other_cores: number[];
  losses: number[];
  /** CPU time of the whole child process (all threads). */
  cpu_ms: number;
}

/** The reason the PyTorch row is skipped, or null when `python3 -c "import torch"` works. */
export function torchMissing(python = PYTHON): string | null {
  if (!existsSync(python)) return `${python} not found: python3-torch not installed`;
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  return probe.status === 0 ? null : 'python3-torch not installed (apt-get install python3-torch)';
}

function scriptPath(): string {
  const override = process.env['CRIA_BENCH_TORCH_SCRIPT'];
  if (override) return override;
  const found = SCRIPT_CANDIDATES.map((url) => fileURLToPath(url)).find((path) => existsSync(path));
  if (!found) throw new Unavailable(`torch_train.py not found next to ${fileURLToPath(import.meta.url)}: run the suite from the repository (npm run bench -- train)`);
  return found;
}

function runChild(shape: TrainShape, settings: TorchSettings): Promise<{ output: TorchOutput; openblas: string }> {
  const config = {
    mode: shape.mode,
    hidden: shape.hidden,
    heads: shape.heads,
    kvHeads: shape.kvHeads,
    layers: shape.layers,
    intermediate: shape.intermediate,
    vocab: shape.vocab,
    sequence: shape.sequence,
    batch: shape.batch,
    tied: shape.tiedEmbeddings,
    loraRank: shape.loraRank,
    loraAlpha: shape.loraAlpha,
    eps: 1e-5,
    ropeTheta: 10_000,
    threads: settings.threads,
    warmupSteps: settings.warmupSteps,
    steps: settings.steps,
    minSteps: settings.minSteps,
    capMs: settings.capMs,
    loadedCores: Number.isFinite(settings.loadedCores) ? settings.loadedCores : 1e9,
  };
  // OPENBLAS_VERBOSE=2 makes OpenBLAS print the core whose kernels it chose ("Core: Cooperlake").
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(settings.threads), OPENBLAS_NUM_THREADS: String(settings.threads), OPENBLAS_VERBOSE: '2' };
  if (settings.openblasCoreType) env['OPENBLAS_CORETYPE'] = settings.openblasCoreType;
  else delete env['OPENBLAS_CORETYPE'];
  const script = scriptPath();
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [script, JSON.stringify(config)], { env, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`torch_train.py failed: ${errorLine(stderr.trim().split('\n').pop() || error)}`));
      let output: TorchOutput;
      try {
        output = JSON.parse(stdout) as TorchOutput;
      } catch (parseError) {
        return reject(new Error(`torch_train.py printed no JSON: ${errorLine(parseError)}`));
      }
      resolve({ output, openblas: openblasVerdict(stderr) });
    });
  });
}

/** What OpenBLAS said about its core on stderr: the kernels it uses, and whether OPENBLAS_CORETYPE was taken. */
export function openblasVerdict(stderr: string): string {
  const core = /^Core: (.+)$/m.exec(stderr)?.[1];
  const refused = /^Core not found: (.*)$/m.exec(stderr)?.[1];
  if (!core) return 'OpenBLAS printed no core (not OpenBLAS?)';
  return `OpenBLAS core ${core}${refused !== undefined ? ` (OPENBLAS_CORETYPE=${refused} not recognised by this OpenBLAS: the core is its own detection)` : ''}`;
}

export function torchFactory(settings: TorchSettings): TrainContenderFactory {
  return {
    impl: 'pytorch-cpu',
    covers: (shape) => shape.baseDtype === undefined, // torch_train.py builds f32 weights only
    async start(shape, { log }) {
      const missing = torchMissing();
      if (missing) throw new Unavailable(missing, settings.threads);
      const { output, openblas } = await runChild(shape, settings);
      const blas = output.blas.find((path) => path.includes('openblas')) ? output.blas.find((path) => path.includes('libopenblas'))! : (output.blas[0] ?? 'none mapped');
      const note = `torch ${output.torch}, set_num_threads(${settings.threads}) → ${output.threads}; BLAS ${blas}, ${openblas}; torch's own kernels: ${
        output.cpu_capability ?? 'unknown'
      }; attention materialises the T×T scores (torch 1.13 has no fused attention)`;
      log(`pytorch-cpu ${shape.name}: ${output.step_ms.map((ms) => Math.round(ms)).join(', ')} ms per step; ${note}`);
      return {
        impl: 'pytorch-cpu',
        threads: output.threads,
        note,
        selfTimed: { stepMs: output.step_ms, losses: output.losses, otherCores: output.other_cores },
        dispose: () => {},
      };
    },
  };
}
