/**
 * `cria serve`: the OpenAI-compatible HTTP server (server/http-server.ts) over one loaded model,
 * with graceful shutdown on SIGINT/SIGTERM: stop accepting, let running generations finish within
 * the grace period (then abort them), free the model, exit 0. A second signal exits at once.
 */
import { CliError, UsageError } from '../cli-errors.js';
import { loadEngine } from '../load-engine.js';
import { CriaServer } from '../server/http-server.js';
import { DEFAULT_BODY_LIMIT_BYTES } from '../server/read-json-body.js';
import type { Command, CommandIO, OptionValues } from './command.js';
import { optionalNumber, optionalString } from './command-options.js';
import { MODEL_OPTIONS, readModelOptions } from './model-options.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve a model over an OpenAI-compatible HTTP API (chat completions, completions, models).',
  usage: 'cria serve --model <dir|file.gguf|url> [--port 8080] [--host 127.0.0.1] [options]',
  options: {
    ...MODEL_OPTIONS,
    port: { type: 'string', placeholder: 'port', description: 'TCP port; 0 picks a free one', defaultText: '8080' },
    host: { type: 'string', placeholder: 'address', description: 'address to listen on; anything but loopback exposes the model to the network', defaultText: '127.0.0.1' },
    'api-key': { type: 'string', placeholder: 'key', description: 'require "Authorization: Bearer <key>" (also read from CRIA_API_KEY)' },
    'max-queue': { type: 'string', placeholder: 'N', description: 'requests that may wait while one generates; more get 429', defaultText: '16' },
    'max-body': { type: 'string', placeholder: 'bytes', description: 'largest request body accepted; larger gets 413', defaultText: String(DEFAULT_BODY_LIMIT_BYTES) },
    'shutdown-grace': { type: 'string', placeholder: 'seconds', description: 'on SIGINT/SIGTERM, how long running generations may finish before they are aborted', defaultText: '10' },
  },
  details: `Routes: POST /v1/chat/completions (SSE with "stream": true), POST /v1/completions,
GET /v1/models, GET /v1/models/<id>, GET /health. One generation runs at a time; the rest queue.

Example:
  cria serve -m ./SmolLM2-135M-Instruct --port 8080
  curl http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \\
    -d '{"messages": [{"role": "user", "content": "Hello"}], "stream": true}'`,
  run: runServe,
};

async function runServe(values: OptionValues, io: CommandIO): Promise<number> {
  const selection = readModelOptions(values, 'serve');
  const port = optionalNumber(values, 'port', 'serve', { min: 0, max: 65535, integer: true }) ?? 8080;
  const host = optionalString(values, 'host') ?? '127.0.0.1';
  const apiKey = optionalString(values, 'api-key') ?? io.env.CRIA_API_KEY;
  if (apiKey === '') throw new UsageError('--api-key must not be empty', 'serve');
  const maxQueue = optionalNumber(values, 'max-queue', 'serve', { min: 0, max: 100_000, integer: true }) ?? 16;
  const bodyLimitBytes = optionalNumber(values, 'max-body', 'serve', { min: 1024, max: 1 << 30, integer: true }) ?? DEFAULT_BODY_LIMIT_BYTES;
  const graceSeconds = optionalNumber(values, 'shutdown-grace', 'serve', { min: 0, max: 3600 }) ?? 10;

  const engine = await loadEngine(selection, io.stderr);
  const server = new CriaServer({ engine, maxQueue, apiKey, bodyLimitBytes });
  try {
    const address = await server.listen(port, host);
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    io.stderr.write(`serving ${engine.model.id} at http://${shown}:${address.port}/v1 (queue ${maxQueue}${apiKey ? ', bearer auth' : ''}); Ctrl-C stops\n`);
    if (!LOOPBACK.has(host) && !apiKey) io.stderr.write(`warning: listening on ${host} without --api-key: anyone who can reach this address can use the model\n`);
  } catch (error) {
    await engine.dispose();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${port} on ${host} is already in use`, 'pass another --port, or --port 0 for any free port');
    if (code === 'EACCES') throw new CliError(`no permission to listen on ${host}:${port}`, 'use a port above 1023');
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`cannot listen on ${host}: no such local address`, 'use --host 127.0.0.1 (loopback) or an address of this machine');
    throw error;
  }

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (server.isClosing) {
        io.stderr.write(`${signal} again: exiting now\n`);
        process.exit(1);
      }
      io.stderr.write(`${signal}: shutting down (finishing running generations for up to ${graceSeconds} s)\n`);
      void server.close({ graceMs: graceSeconds * 1000 }).then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await engine.dispose();
  io.stderr.write('stopped\n');
  return 0;
}
