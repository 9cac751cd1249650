/**
 * `cria generate`: one completion of a prompt, streamed to stdout as it is sampled; usage on stderr.
 * `--json` prints one object instead: { text, tokens, finish_reason, usage }, where `tokens` are the
 * generated tokens' texts (from the engine's logprobs), one per token.
 * Ctrl-C stops the generation and keeps what was generated.
 */
import { UsageError } from '../cli-errors.js';
import type { Completion, CompletionChunk, Engine, FinishReason, Usage } from '../engine-types.js';
import { loadEngine } from '../load-engine.js';
import { formatUsage } from '../terminal/usage-line.js';
import type { Command, CommandIO, OptionValues } from './command.js';
import { optionalString } from './command-options.js';
import { MODEL_OPTIONS, readModelOptions } from './model-options.js';
import { readSamplingOptions, SAMPLING_OPTIONS } from './sampling-options.js';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Generate a completion of a prompt and stream it to stdout.',
  usage: 'cria generate --model <dir|file.gguf|url> --prompt <text> [options]',
  options: {
    ...MODEL_OPTIONS,
    prompt: { type: 'string', short: 'p', placeholder: 'text', description: 'the prompt; "-" reads it from stdin' },
    chat: { type: 'boolean', description: "wrap the prompt as a user message in the model's chat template" },
    system: { type: 'string', placeholder: 'text', description: 'a system message (with --chat)' },
    ...SAMPLING_OPTIONS,
    json: { type: 'boolean', description: 'print { text, tokens, finish_reason, usage } as JSON instead of streaming' },
  },
  details: `Examples:
  cria generate -m ./SmolLM2-135M -p "The capital of France is" -n 32 -t 0
  cria generate -m model-q8_0.gguf -p "Write a haiku" --chat --seed 1 --json`,
  run: runGenerate,
};

async function runGenerate(values: OptionValues, io: CommandIO): Promise<number> {
  const selection = readModelOptions(values, 'generate');
  const sampling = readSamplingOptions(values, 'generate');
  const promptOption = optionalString(values, 'prompt');
  if (promptOption === undefined) throw new UsageError('--prompt is required', 'generate');
  const system = optionalString(values, 'system');
  if (system !== undefined && !values.chat) throw new UsageError('--system needs --chat', 'generate');
  const prompt = promptOption === '-' ? await readAll(io.stdin) : promptOption;

  const engine = await loadEngine(selection, io.stderr);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    const request = { ...sampling, signal: controller.signal };
    const messages = values.chat ? [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user' as const, content: prompt }] : undefined;
    if (values.json) {
      const result = await complete(engine, messages, prompt, request);
      io.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      const { usage, finishReason } = await stream(engine, messages, prompt, request, io);
      io.stdout.write('\n');
      if (usage) io.stderr.write(`${formatUsage(usage, finishReason)}\n`);
    }
    return controller.signal.aborted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    await engine.dispose();
  }
}

type Messages = Array<{ role: 'system' | 'user'; content: string }> | undefined;
type Request = ReturnType<typeof readSamplingOptions> & { signal: AbortSignal };

async function complete(engine: Engine, messages: Messages, prompt: string, request: Request) {
  const withLogprobs = { ...request, logprobs: true, top_logprobs: 0 };
  const result = messages
    ? await engine.chat.completions.create({ ...withLogprobs, messages, stream: false })
    : await engine.completions.create({ ...withLogprobs, prompt, stream: false });
  const choice = result.choices[0]!;
  const text = 'message' in choice ? choice.message.content : (choice as Completion['choices'][0]).text;
  return { text, tokens: choice.logprobs?.content.map((token) => token.token) ?? null, finish_reason: choice.finish_reason, usage: result.usage };
}

async function stream(engine: Engine, messages: Messages, prompt: string, request: Request, io: CommandIO): Promise<{ usage?: Usage; finishReason?: FinishReason | null }> {
  const chunks: AsyncIterable<CompletionChunk | { choices: Array<{ delta: { content?: string }; finish_reason: FinishReason | null }>; usage?: Usage }> = messages
    ? await engine.chat.completions.create({ ...request, messages, stream: true })
    : await engine.completions.create({ ...request, prompt, stream: true });
  let usage: Usage | undefined;
  let finishReason: FinishReason | null | undefined;
  for await (const chunk of chunks) {
    const choice = chunk.choices[0];
    if (choice) {
      const text = 'delta' in choice ? choice.delta.content : choice.text;
      if (text) io.stdout.write(text);
      finishReason = choice.finish_reason ?? finishReason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { usage, finishReason };
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}
