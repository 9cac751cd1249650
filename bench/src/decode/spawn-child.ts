import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildRequest, ChildResult, ParentCommand, Repetition } from './child-protocol.js';


/** Node flags of every decode child (relaxed SIMD is behind a flag in Node 20). */
export const CHILD_EXEC_ARGV: readonly string[] = ['--experimental-wasm-relaxed-simd'];
/**
 * Runs decode-child.ts in fresh Node processes. The child is bundled with esbuild into bench/dist
 * (Node 20 cannot run TypeScript; packages stay external, so @cria/* and node-llama-cpp load from
 * node_modules as they do for users), once per suite run. The same code path serves `npm run bench`
 * (itself a bundle in bench/dist) and vitest (the TypeScript source).
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface ChildOptions {
  /** Longest wait for any one answer (loading + warm-up, one repetition, the summary); then SIGKILL. */
  timeoutMs: number;
  log: (line: string) => void;
}

export interface ChildRunner {
  start(request: ChildRequest, options: ChildOptions): DecodeChild;
  dispose(): void;
}

export async function startChildRunner(): Promise<ChildRunner> {
  const root = benchRoot();
  const bundle = join(root, 'dist', `decode-child-${process.pid}.mjs`);
  mkdirSync(dirname(bundle), { recursive: true });
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'src', 'decode', 'decode-child.ts')],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  const env = { ...process.env };
  if (!env['VK_ICD_FILENAMES'] && existsSync(SWIFTSHADER_ICD)) env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  return {
    start: (request, options) => new DecodeChild(bundle, env, request, options),
    dispose: () => rmSync(bundle, { force: true }),
  };
}

/**
 * One child process, driven through child-protocol.ts. Every wait is bounded by `timeoutMs`; a child
 * that exits, breaks the protocol, or overruns is killed and every pending and later call rejects
 * with the same error (`<impl> child exited with 1: <last stderr lines>`, `... killed after the N s limit`).
 */
export class DecodeChild {
  private readonly child: ChildProcess;
  private readonly messages: ChildMessage[] = [];
  private waiter: ((message: ChildMessage | Error) => void) | undefined;
  private failure: Error | undefined;
  private stdout = '';
  private stderr = '';
  private timedOut = false;

  constructor(
    script: string,
    env: NodeJS.ProcessEnv,
    private readonly request: ChildRequest,
    private readonly options: ChildOptions,
  ) {
    this.child = spawn(process.execPath, [...CHILD_EXEC_ARGV, script, JSON.stringify(request)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (data: Buffer) => this.onStdout(data.toString()));
    this.child.stderr!.on('data', (data: Buffer) => {
      // Dawn's Vulkan loader complains about XDG_RUNTIME_DIR on headless machines: harmless noise.
      const lines = data.toString().split('\n').filter((line) => line.trim() && !line.includes('XDG_RUNTIME_DIR'));
      this.stderr += lines.map((line) => `${line}\n`).join('');
      for (const line of lines) options.log(`  ${line.trim()}`);
    });
    this.child.stdin!.on('error', () => {}); // a child that died: its exit reports why
    this.child.on('error', (error) => this.fail(new Error(`${request.impl} child could not start: ${error.message}`)));
    this.child.on('close', (code, signal) => {
      const why = this.timedOut ? `killed after the ${Math.round(options.timeoutMs / 1000)} s limit` : `exited with ${code ?? signal}`;
      const tail = this.stderr.trim().split('\n').slice(-3).join(' / ');
      this.fail(new Error(`${request.impl} child ${why}${tail ? `: ${tail}` : ''}`));
    });
  }

  /** Loaded and warmed up: resolves 'ready', or the final result when the child skipped the run. */
  async ready(): Promise<'ready' | ChildResult> {
    const message = await this.next();
    if (message.type === 'ready') return 'ready';
    if (message.type === 'result') return message.result;
    throw this.protocolError(message);
  }

  async repetition(): Promise<Repetition> {
    this.send('run');
    const message = await this.next();
    if (message.type !== 'repetition') throw this.protocolError(message);
    return { prefillMs: message.prefillMs, decodeMs: message.decodeMs };
  }

  async finish(): Promise<ChildResult> {
    this.send('finish');
    const message = await this.next();
    if (message.type !== 'result') throw this.protocolError(message);
    return message.result;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private send(command: ParentCommand): void {
    if (!this.failure) this.child.stdin!.write(`${command}\n`);
  }

  private next(): Promise<ChildMessage> {
    const queued = this.messages.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.timedOut = true;
        this.kill(); // 'close' then fails the wait with the reason
      }, this.options.timeoutMs);
      this.waiter = (message) => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (message instanceof Error) reject(message);
        else resolve(message);
      };
    });
  }

  private onStdout(text: string): void {
    this.stdout += text;
    const lines = this.stdout.split('\n');
    this.stdout = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue; // the child's libraries may print to stdout too
      let message: ChildMessage;
      try {
        message = JSON.parse(line) as ChildMessage;
      } catch {
        continue;
      }
      if (this.waiter) this.waiter(message);
      else this.messages.push(message);
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.waiter?.(error);
  }

  private protocolError(message: ChildMessage): Error {
    this.kill();
    return new Error(`${this.request.impl} child answered ${message.type} out of turn`);
  }
}

/** The bench package's folder, from this file in src/ (tests) or from the bundle in dist/. */
function benchRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(directory, 'package.json')) && JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')).name === '@cria/bench')) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`bench: cannot find the @cria/bench package folder above ${fileURLToPath(import.meta.url)}`);
    directory = parent;
  }
  return directory;
}
