/**
 * The OpenAI-compatible HTTP server over one engine, on `node:http`. Routing, authentication,
 * per-request cancellation and the server's lifecycle live here; body parsing, validation, the
 * queue and streaming each have their own file.
 *
 *   POST /v1/chat/completions   POST /v1/completions   GET /v1/models[/<id>]   GET /health
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Completion, CompletionChunk, CompletionRequest, Engine } from '../engine-types.js';
import { bearerCheck, type BearerCheck } from './bearer-auth.js';
import { GenerationQueue } from './generation-queue.js';
import { HttpError, methodNotAllowed, modelNotFound, routeNotFound, shuttingDown, toErrorResponse } from './http-errors.js';
import { DEFAULT_BODY_LIMIT_BYTES, readJsonBody } from './read-json-body.js';
import { legacyCompletion, legacyCompletionChunks } from './legacy-logprobs.js';
import { stderrRequestLogger, type RequestLogger, type RequestRecord } from './request-log.js';
import { runGeneration, type GenerationContext } from './run-generation.js';
import { sendJson } from './send-json.js';
import { validateChatRequest, validateCompletionRequest, type ValidatedRequest } from './validate-request.js';

export interface CriaServerOptions {
  engine: Engine;
  /** Requests that may wait while one generates; more answer 429. Default 16. */
  maxQueue?: number;
  /** When set, every route but /health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Default: one line per request on stderr. */
  log?: RequestLogger;
}

export interface ShutdownOptions {
  /** How long in-flight generations may run to completion before they are aborted. Default 10 s. */
  graceMs?: number;
}

type Handler = (request: IncomingMessage, response: ServerResponse, context: RequestContext) => Promise<void>;

interface RequestContext {
  signal: AbortSignal;
  record: Partial<RequestRecord>;
}

export class CriaServer {
  readonly engine: Engine;
  readonly queue: GenerationQueue;
  private readonly http: Server;
  private readonly checkBearer: BearerCheck | undefined;
  private readonly bodyLimitBytes: number;
  private readonly log: RequestLogger;
  /** Aborts every in-flight generation when a shutdown's grace period runs out. */
  private readonly shutdownController = new AbortController();
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private closing: Promise<void> | undefined;
  private readonly routes: Record<string, Record<string, Handler>>;

  constructor(options: CriaServerOptions) {
    this.engine = options.engine;
    this.queue = new GenerationQueue(options.maxQueue ?? 16);
    this.checkBearer = options.apiKey ? bearerCheck(options.apiKey) : undefined;
    this.bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    this.log = options.log ?? stderrRequestLogger();
    this.routes = {
      '/v1/chat/completions': { POST: (request, response, context) => this.generate(request, response, context, 'chat') },
      '/v1/completions': { POST: (request, response, context) => this.generate(request, response, context, 'completion') },
      '/v1/models': { GET: async (_request, response) => sendJson(response, 200, { object: 'list', data: [this.modelObject()] }) },
      '/health': { GET: async (_request, response) => this.health(response) },
    };
    this.http = createServer((request, response) => void this.handle(request, response));
  }

  /** Starts listening; port 0 picks a free port. Resolves with the bound address. */
  listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  get isClosing(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Graceful shutdown: stop accepting connections, answer queued and new requests 503, let running
   * generations finish for up to `graceMs`, then abort them, close every connection and resolve.
   */
  close(options: ShutdownOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.graceMs ?? 10_000);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    this.queue.rejectWaiting(shuttingDown());
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    if ((await Promise.race([this.queue.whenIdle(), graceOver])) === 'timeout') {
      this.shutdownController.abort(shuttingDown());
      await this.queue.whenIdle();
    }
    clearTimeout(timer);
    this.http.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const path = (request.url ?? '/').split('?')[0]!;
    const method = request.method ?? 'GET';
    const record: Partial<RequestRecord> = {};
    const clientGone = new AbortController();
    response.on('close', () => {
      // 'close' before the response finished means the client went away: cancel its generation.
      if (!response.writableFinished) {
        record.note = 'client closed';
        clientGone.abort(new Error('client closed the connection'));
      }
    });
    const signal = AbortSignal.any([clientGone.signal, this.shutdownController.signal]);

    try {
      if (this.closing) throw shuttingDown();
      if (this.checkBearer && path !== '/health') this.checkBearer(request);
      await this.route(method, path)(request, response, { signal, record });
    } catch (error) {
      if (response.headersSent || response.destroyed) {
        record.note ??= `failed: ${error instanceof Error ? error.message : String(error)}`;
        return;
      }
      // Shutdown aborts surface as the 503 they were aborted with.
      const { status, body, headers } = toErrorResponse(signal.aborted && !(error instanceof HttpError) ? signal.reason : error);
      // A body that was refused unread (413, 415, 401) leaves bytes on the socket: close it after answering.
      if (!request.complete) headers.Connection = 'close';
      if (this.closing) headers.Connection = 'close';
      sendJson(response, status, body, headers);
      if (!request.complete) request.resume();
    } finally {
      // Logged when the engine is done with the request (a cancelled generation included), with its
      // token counts; 499 (nginx's "client closed request") when the client left before any answer.
      this.log({ ...record, method, path, status: response.headersSent ? response.statusCode : 499, durationMs: performance.now() - started });
    }
  }

  private route(method: string, path: string): Handler {
    const modelPrefix = '/v1/models/';
    if (path.startsWith(modelPrefix) && path.length > modelPrefix.length) {
      if (method !== 'GET') throw methodNotAllowed(method, path, ['GET']);
      let id: string;
      try {
        id = decodeURIComponent(path.slice(modelPrefix.length));
      } catch {
        throw routeNotFound(method, path);
      }
      return async (_request, response) => this.getModel(id, response);
    }
    const handlers = this.routes[path];
    if (!handlers) throw routeNotFound(method, path);
    const handler = handlers[method];
    if (!handler) throw methodNotAllowed(method, path, Object.keys(handlers));
    return handler;
  }

  private async generate(request: IncomingMessage, response: ServerResponse, context: RequestContext, kind: 'chat' | 'completion'): Promise<void> {
    const body = await readJsonBody(request, this.bodyLimitBytes);
    const validated: ValidatedRequest<object> = kind === 'chat' ? validateChatRequest(body) : validateCompletionRequest(body);
    const served = this.engine.model.id;
    if (validated.model !== undefined && validated.model !== served) throw modelNotFound(validated.model, served);

    const generation: GenerationContext = { queue: this.queue, response, signal: context.signal, record: context.record };
    // The engine's overloads are keyed on a literal `stream`; here it is only known at run time.
    await runGeneration(generation, validated, async (engineRequest) => {
      if (kind === 'chat') return this.engine.chat.completions.create(engineRequest as never);
      const result: Completion | AsyncIterable<CompletionChunk> = await this.engine.completions.create(engineRequest as never);
      const promptLength = (engineRequest as unknown as CompletionRequest).prompt.length;
      return Symbol.asyncIterator in result ? legacyCompletionChunks(result, promptLength) : legacyCompletion(result, promptLength);
    });
  }

  private modelObject() {
    return { id: this.engine.model.id, object: 'model', created: this.createdAt, owned_by: 'cria' };
  }

  private getModel(id: string, response: ServerResponse): void {
    if (id !== this.engine.model.id) throw modelNotFound(id, this.engine.model.id);
    sendJson(response, 200, this.modelObject());
  }

  private health(response: ServerResponse): void {
    const { model } = this.engine;
    // While shutting down, handle() answers 503 before any route runs.
    sendJson(response, 200, {
      status: 'ok',
      model: model.id,
      architecture: model.architecture,
      backend: model.backend,
      queue: { running: this.queue.running, waiting: this.queue.waiting, capacity: this.queue.capacity },
    });
  }
}
