/**
 * Test helpers for the end-to-end tests: build the CLI, write a project-generated tiny model into a
 * temp dir, and run `node dist/cli.js` as a child process (bounded in time; servers on loopback).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(packageRoot, 'dist/cli.js');
const MAKE_TEST_MODEL = join(packageRoot, '../runtime/scripts/make-test-model.mjs');

export function buildCli(): void {
  execFileSync(process.execPath, [join(packageRoot, 'scripts/build.mjs')], { stdio: 'inherit' });
}

export interface TinyModel {
  dir: string;
  /** Hugging Face form: config.json + model.safetensors + tokenizer.json. */
  hf: string;
  gguf: string;
  remove(): void;
}

/** Needs @cria/runtime built (turbo builds dependencies first). */
export function makeTinyModel(extraArgs: string[] = []): TinyModel {
  const dir = mkdtempSync(join(tmpdir(), 'cria-cli-test-'));
  execFileSync(process.execPath, [MAKE_TEST_MODEL, '--out', dir, '--gguf', 'q8_0', ...extraArgs], { stdio: 'pipe' });
  return { dir, hf: join(dir, 'hf'), gguf: join(dir, 'model-q8_0.gguf'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 30_000 });
    const result: CliResult = { code: null, signal: null, stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (text: string) => (result.stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (result.stderr += text));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ ...result, code, signal }));
    child.stdin.end(options.input ?? '');
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `cria serve --port 0` and resolves once it prints the address it listens on. */
export function startServe(args: string[], timeoutMs = 30_000): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cria serve did not start in ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      const match = /serving .* at (http:\/\/[^\s]+)\/v1/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          stderr: () => stderr,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cria serve exited with ${code} before listening:\n${stderr}`));
    });
  });
}
