/**
 * Errors the HTTP layer answers with, and the one place any thrown value becomes an OpenAI-style
 * error body: `{ "error": { "message", "type", "param", "code" } }` with a status code.
 */

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error with an HTTP status; `headers` carries e.g. `Retry-After` or `Allow`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A body field is missing, has the wrong type or is out of range. */
export function invalidField(param: string, message: string, code = 'invalid_value'): HttpError {
  return new HttpError(400, message, 'invalid_request_error', code, param);
}

export function routeNotFound(method: string, path: string): HttpError {
  return new HttpError(
    404,
    `Unknown route ${method} ${path}. Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health.`,
    'invalid_request_error',
    'unknown_url',
  );
}

export function methodNotAllowed(method: string, path: string, allowed: readonly string[]): HttpError {
  return new HttpError(
    405,
    `${method} is not allowed on ${path}; use ${allowed.join(' or ')}.`,
    'invalid_request_error',
    'method_not_allowed',
    null,
    { Allow: allowed.join(', ') },
  );
}

export function modelNotFound(requested: string, served: string): HttpError {
  return new HttpError(
    404,
    `The model "${requested}" does not exist on this server; it serves "${served}". Pass "model": "${served}" or leave "model" out.`,
    'invalid_request_error',
    'model_not_found',
    'model',
  );
}

/** The generation queue is full: the client should retry after `retryAfterSeconds`. */
export function queueFull(capacity: number, retryAfterSeconds: number): HttpError {
  return new HttpError(
    429,
    `The server is busy: ${capacity} requests are already waiting for the model. Retry after ${retryAfterSeconds} s.`,
    'rate_limit_error',
    'queue_full',
    null,
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export function shuttingDown(): HttpError {
  return new HttpError(503, 'The server is shutting down; retry against another instance.', 'server_error', 'shutting_down');
}

/**
 * Maps anything thrown while serving a request to a status and a body. `HttpError`s and the engine's
 * `EngineError`s (from @cria/runtime: `status`, `type`, `code`, `param`) pass through as they are;
 * they are recognised by shape, not class, so a second copy of @cria/runtime in node_modules still maps.
 * Anything else is a server bug: 500 with the message (the server is loopback-only by default and
 * the operator is the user, so hiding the message would only hide the fix).
 */
export function toErrorResponse(error: unknown): { status: number; body: OpenAIErrorBody; headers: Record<string, string> } {
  if (error instanceof HttpError) {
    return { status: error.status, body: errorBody(error.message, error.type, error.param, error.code), headers: error.headers };
  }
  if (isEngineError(error)) {
    return { status: error.status, body: errorBody(error.message, error.type, error.param ?? null, error.code), headers: {} };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: errorBody(`Internal server error: ${message}`, 'server_error', null, 'internal_error'), headers: {} };
}

export function errorBody(message: string, type: string, param: string | null, code: string | null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

interface EngineErrorShape {
  message: string;
  status: number;
  type: string;
  code: string;
  param?: string | null;
}

function isEngineError(error: unknown): error is EngineErrorShape {
  if (!(error instanceof Error)) return false;
  const candidate = error as Error & Partial<EngineErrorShape>;
  return (
    typeof candidate.status === 'number' &&
    candidate.status >= 400 &&
    candidate.status <= 599 &&
    typeof candidate.type === 'string' &&
    typeof candidate.code === 'string'
  );
}
