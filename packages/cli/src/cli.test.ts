// End to end: the built `cria` command as a child process, on a project-generated tiny Llama with
// the real engine (reference backend: deterministic and needs nothing from the machine).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { buildCli, CLI, makeTinyModel, runCli, type TinyModel } from '../test/spawn-cli.js';

let model: TinyModel;
beforeAll(() => {
  buildCli();
  model = makeTinyModel();
});
afterAll(() => model?.remove());

const packageVersion = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

describe('cria (help, version, usage errors)', () => {
  it('--help lists the commands; every command has --help', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const name of ['generate', 'chat', 'serve']) {
      expect(stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
      const help = await runCli([name, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: cria ${name} --model`);
      expect(help.stdout).toContain('--backend');
    }
  });

  it('--version prints the package version', async () => {
    expect(await runCli(['--version'])).toMatchObject({ code: 0, stdout: `${packageVersion}\n` });
  });

  it('an unknown command lists the commands and exits 2', async () => {
    const { code, stderr } = await runCli(['distill']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "distill"; commands: generate, chat, serve, train');
  });

  it.each([
    [['generate', '--model', 'x', '--prompt', 'y', '--bogus'], "Unknown option '--bogus'"],
    [['generate', '--prompt', 'y'], '--model is required'],
    [['generate', '--model', 'x', '--max-tokens', 'many', '--prompt', 'y'], '--max-tokens must be an integer'],
    [['serve', '--model', 'x', '--backend', 'cuda'], '--backend must be one of auto, webgpu, wasm, reference'],
    [['chat', '--model', 'x', '--kv-cache', 'q8'], '--kv-cache must be one of f16, f32'],
  ])('usage error %j exits 2 with one line and a hint', async (args, message) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(2);
    expect(stderr).toMatch(/hint: run `cria \w+ --help`/);
  });
});

describe('model errors exit 1 with one line and a hint', () => {
  it('file not found', async () => {
    const { code, stderr } = await runCli(['generate', '-m', join(model.dir, 'missing'), '-p', 'x']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^cria: error: file not found: .*missing\n  hint: pass a Hugging Face model directory/);
  });

  it('not a model directory (and the hint names a .gguf inside)', async () => {
    const { code, stderr } = await runCli(['generate', '-m', model.dir, '-p', 'x']);
    expect(code).toBe(1);
    expect(stderr).toContain('not a model directory');
    expect(stderr).toContain(`hint: pass the .gguf file itself, e.g. --model ${model.gguf}`);
  });

  it('unknown architecture', async () => {
    const other = join(model.dir, 'gpt2');
    cpSync(model.hf, other, { recursive: true });
    const config = JSON.parse(readFileSync(join(other, 'config.json'), 'utf8'));
    writeFileSync(join(other, 'config.json'), JSON.stringify({ ...config, architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }));
    const { code, stderr } = await runCli(['generate', '-m', other, '-p', 'x', '-b', 'reference']);
    expect(code).toBe(1);
    expect(stderr).toContain('Unsupported architecture "GPT2LMHeadModel"');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a truncated GGUF', async () => {
    const truncated = join(model.dir, 'truncated.gguf');
    writeFileSync(truncated, readFileSync(model.gguf).subarray(0, 1000));
    const { code, stderr } = await runCli(['generate', '-m', truncated, '-p', 'x', '-b', 'reference']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cria: error: .*truncated.*\n  hint: /);
  });
});

describe('cria generate', () => {
  it('streams a completion to stdout, loading progress and usage to stderr', async () => {
    const { code, stdout, stderr } = await runCli(['generate', '-m', model.hf, '-p', 'hello world', '-n', '12', '-t', '0', '-b', 'reference', '--kv-cache', 'f16']);
    expect(code, stderr).toBe(0);
    expect(stdout.length).toBeGreaterThan(1);
    expect(stderr).toMatch(/^loading: /m); // plain progress lines: stderr is not a terminal
    expect(stderr).toMatch(/loaded hf \(LlamaForCausalLM, .* parameters, context 256, f16 KV cache 64 KiB\) on reference/);
    expect(stderr).toMatch(/\d+ prompt \+ 12 generated tokens \(length\) · prefill [\d.]+ tok\/s · decode [\d.]+ tok\/s/);
  });

  it('--json prints { text, tokens, finish_reason, usage }; for the HF and the GGUF form', async () => {
    const args = ['-p', 'hello world', '-n', '10', '-t', '0', '-b', 'reference', '--json'];
    const hf = await runCli(['generate', '-m', model.hf, ...args]);
    expect(hf.code, hf.stderr).toBe(0);
    const result = JSON.parse(hf.stdout);
    expect(result).toMatchObject({ text: expect.any(String), finish_reason: 'length', usage: { completion_tokens: 10 } });
    expect(result.tokens).toHaveLength(10);
    // The GGUF form carries the tokenizer in its metadata: the prompt tokenizes the same.
    const gguf = JSON.parse((await runCli(['generate', '-m', model.gguf, ...args])).stdout);
    expect(gguf.usage.prompt_tokens).toBe(result.usage.prompt_tokens);
  });

  it('--model <url> loads a .gguf and a Hugging Face folder over HTTP, with the same greedy text as from disk', async () => {
    // The runtime's test server (range requests, as model hosts answer them); a test-only module.
    const { serveFilesWithRanges } = await import('../../runtime/src/testing/range-file-server.js');
    const served = await serveFilesWithRanges(model.dir);
    try {
      const args = ['-p', 'over the wire', '-n', '8', '-t', '0', '-b', 'reference', '--json'];
      for (const [path, url] of [
        [model.gguf, `${served.url}/model-q8_0.gguf`],
        [model.hf, `${served.url}/hf/`],
      ] as const) {
        const [local, remote] = await Promise.all([runCli(['generate', '-m', path, ...args]), runCli(['generate', '-m', url, ...args])]);
        expect(remote.code, remote.stderr).toBe(0);
        expect(remote.stderr).toContain(`loaded ${url.endsWith('/') ? 'hf' : 'model-q8_0.gguf'}`);
        expect(JSON.parse(remote.stdout).tokens).toEqual(JSON.parse(local.stdout).tokens);
      }
      const missing = await runCli(['generate', '-m', `${served.url}/gone.gguf`, '-p', 'x']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/cria: error: No model at .*gone\.gguf: HEAD request failed with HTTP 404/);
    } finally {
      await served.close();
    }
  });

  it('the wasm backend gives the same greedy tokens as the reference backend', async () => {
    const args = ['generate', '-m', model.hf, '-p', 'hello world', '-n', '12', '-t', '0', '--json', '-b'];
    const [reference, wasm] = await Promise.all([runCli([...args, 'reference']), runCli([...args, 'wasm'])]);
    expect(wasm.code, wasm.stderr).toBe(0);
    expect(wasm.stderr).toMatch(/ on wasm /);
    expect(JSON.parse(wasm.stdout).tokens).toEqual(JSON.parse(reference.stdout).tokens);
  });

  it('the same seed gives the same sample', async () => {
    const args = ['generate', '-m', model.hf, '-p', 'seeded', '-n', '16', '-t', '1', '--seed', '42', '-b', 'reference', '--json'];
    const [first, second] = await Promise.all([runCli(args), runCli(args)]);
    expect(JSON.parse(first.stdout).tokens).toEqual(JSON.parse(second.stdout).tokens);
  });

  it('reads the prompt from stdin with --prompt -, and applies the chat template with --chat', async () => {
    const raw = await runCli(['generate', '-m', model.hf, '-p', '-', '-n', '4', '-t', '0', '-b', 'reference', '--json'], { input: 'from stdin' });
    const chat = await runCli(['generate', '-m', model.hf, '-p', 'from stdin', '--chat', '--system', 'be brief', '-n', '4', '-t', '0', '-b', 'reference', '--json']);
    expect(raw.code, raw.stderr).toBe(0);
    expect(chat.code, chat.stderr).toBe(0);
    // The template adds role markers around the same text.
    expect(JSON.parse(chat.stdout).usage.prompt_tokens).toBeGreaterThan(JSON.parse(raw.stdout).usage.prompt_tokens);
  });
});

describe('cria generate, interrupted', () => {
  it('Ctrl-C (SIGINT) stops the generation, keeps the text, reports usage and exits 130', async () => {
    // A larger model (~1 s for its greedy answer), so the signal surely arrives mid-generation.
    const larger = makeTinyModel(['--hidden', '256', '--intermediate', '512', '--layers', '4']);
    try {
      const child = spawn(process.execPath, [CLI, 'generate', '-m', larger.hf, '-p', 'hello', '-n', '250', '-t', '0', '-b', 'reference'], { timeout: 30_000 });
      let stdout = '';
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        if (stdout === '') child.kill('SIGINT');
        stdout += text;
      });
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code, stderr).toBe(130);
      const generated = Number(/\+ (\d+) generated tokens \(abort\)/.exec(stderr)?.[1]);
      expect(generated).toBeGreaterThan(0);
      expect(generated).toBeLessThan(100);
    } finally {
      larger.remove();
    }
  });
});

describe('cria chat (driven through stdin)', () => {
  it('answers each line with multi-turn history, handles /reset and unknown commands, exits on /exit', async () => {
    const input = 'first question\nsecond question\n/bogus\n/reset\nthird question\n/exit\nnever read\n';
    const { code, stdout, stderr } = await runCli(['chat', '-m', model.gguf, '-n', '6', '-t', '0', '-b', 'reference', '--stats', '--system', 'You are terse.'], { input });
    expect(code, stderr).toBe(0);
    const usage = [...stderr.matchAll(/(\d+) prompt(?: \((\d+) reused\))? \+ 6 generated tokens/g)];
    expect(usage).toHaveLength(3);
    const [first, second, third] = usage.map((match) => Number(match[1]));
    // The second turn carries the first exchange; after /reset the history is back to the system message.
    expect(second).toBeGreaterThan(first! + 6);
    expect(third).toBeLessThan(second!);
    expect(stderr).toContain('unknown chat command /bogus');
    expect(stderr).toContain('(history cleared)');
    expect(stdout.split('\n').length).toBeGreaterThanOrEqual(3);
  });

  it('exits 0 at end of input (Ctrl-D)', async () => {
    const { code, stderr } = await runCli(['chat', '-m', model.hf, '-n', '3', '-b', 'reference'], { input: 'hi\n' });
    expect(code, stderr).toBe(0);
  });
});
