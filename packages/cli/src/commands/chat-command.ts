/**
 * `cria chat`: an interactive chat in the terminal. Answers stream as they are sampled; the whole
 * history goes back with every turn (the engine reuses its KV cache for the shared prefix, so a
 * follow-up only prefills the new message). Ctrl-C stops the current answer, Ctrl-D or /exit quits.
 * With stdin not a terminal (a pipe, a test), each line is one user message and EOF quits.
 */
import { createInterface } from 'node:readline';
import { formatError } from '../cli-errors.js';
import type { ChatMessage, Engine, FinishReason, Usage } from '../engine-types.js';
import { loadEngine } from '../load-engine.js';
import { formatUsage } from '../terminal/usage-line.js';
import type { Command, CommandIO, OptionValues } from './command.js';
import { optionalString } from './command-options.js';
import { MODEL_OPTIONS, readModelOptions } from './model-options.js';
import { readSamplingOptions, SAMPLING_OPTIONS } from './sampling-options.js';

/** The engine's errors carry an HTTP-style status; 4xx means this request, not the engine, is at fault. */
function isRequestError(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

const CHAT_HELP = '/exit quits (or Ctrl-D), /reset starts over, Ctrl-C stops an answer';

export const chatCommand: Command = {
  name: 'chat',
  summary: 'Chat with a model in the terminal, with streaming answers and multi-turn history.',
  usage: 'cria chat --model <dir|file.gguf|url> [options]',
  options: {
    ...MODEL_OPTIONS,
    system: { type: 'string', placeholder: 'text', description: 'a system message that starts the conversation' },
    ...SAMPLING_OPTIONS,
    stats: { type: 'boolean', description: 'print token counts and speed after each answer (on stderr)' },
  },
  details: `In the chat: ${CHAT_HELP}.

Example:
  cria chat -m ./SmolLM2-135M-Instruct --system "You are terse." -t 0.7`,
  run: runChat,
};

async function runChat(values: OptionValues, io: CommandIO): Promise<number> {
  const selection = readModelOptions(values, 'chat');
  const sampling = readSamplingOptions(values, 'chat');
  const system = optionalString(values, 'system');
  const engine = await loadEngine(selection, io.stderr);
  const interactive = Boolean(io.stdin.isTTY);
  const lines = createInterface({ input: io.stdin, output: interactive ? io.stdout : undefined, terminal: interactive, prompt: '> ' });
  const initial: ChatMessage[] = system ? [{ role: 'system', content: system }] : [];
  const history = [...initial];
  let answering: AbortController | undefined;
  let interruptedAtPrompt = false;

  // In raw mode Ctrl-C reaches readline, not the process; piped, it arrives as a signal.
  const interrupt = () => {
    if (answering) return answering.abort();
    if (!interactive || interruptedAtPrompt) return lines.close();
    interruptedAtPrompt = true;
    io.stderr.write('\n(Ctrl-C again, Ctrl-D or /exit quits)\n');
    lines.prompt();
  };
  lines.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);

  try {
    if (interactive) io.stderr.write(`${CHAT_HELP}\n`);
    lines.prompt();
    for await (const line of lines) {
      interruptedAtPrompt = false;
      const text = line.trim();
      if (text === '/exit' || text === '/quit') break;
      if (text === '/reset') {
        history.splice(0, history.length, ...initial);
        io.stderr.write('(history cleared)\n');
      } else if (text.startsWith('/')) {
        io.stderr.write(`unknown chat command ${text}; ${CHAT_HELP}\n`);
      } else if (text !== '') {
        history.push({ role: 'user', content: line });
        answering = new AbortController();
        try {
          const { content, usage, finishReason } = await answer(engine, history, { ...sampling, signal: answering.signal }, io);
          history.push({ role: 'assistant', content });
          if (finishReason === 'abort') io.stderr.write('(stopped)\n');
          if (values.stats && usage) io.stderr.write(`${formatUsage(usage, finishReason)}\n`);
        } catch (error) {
          // A request the engine refuses (the history outgrew the context, ...) costs the turn, not the chat.
          if (!isRequestError(error)) throw error;
          history.pop();
          io.stderr.write(`${formatError(error)}\n`);
        } finally {
          answering = undefined;
        }
      }
      lines.prompt();
    }
  } finally {
    lines.off('SIGINT', interrupt);
    process.off('SIGINT', interrupt);
    lines.close();
    if (interactive) io.stdout.write('\n');
    await engine.dispose();
  }
  return 0;
}

async function answer(
  engine: Engine,
  messages: ChatMessage[],
  request: ReturnType<typeof readSamplingOptions> & { signal: AbortSignal },
  io: CommandIO,
): Promise<{ content: string; usage?: Usage; finishReason?: FinishReason | null }> {
  let content = '';
  let usage: Usage | undefined;
  let finishReason: FinishReason | null | undefined;
  try {
    const chunks = await engine.chat.completions.create({ ...request, messages: [...messages], stream: true });
    for await (const chunk of chunks) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        content += choice.delta.content;
        io.stdout.write(choice.delta.content);
      }
      finishReason = choice?.finish_reason ?? finishReason;
      if (chunk.usage) usage = chunk.usage;
    }
  } finally {
    io.stdout.write('\n');
  }
  return { content, usage, finishReason };
}
