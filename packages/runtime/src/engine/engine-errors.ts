/**
 * Errors the engine raises for requests and models. The HTTP server maps them to OpenAI-style error
 * bodies: `{ error: { message, type, param, code } }` with the status given here.
 */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
    readonly code: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request field is missing, of the wrong type or out of range (HTTP 400). */
export class InvalidRequestError extends EngineError {
  constructor(message: string, param: string | null, code = 'invalid_value') {
    super(message, 400, 'invalid_request_error', code, param);
  }
}

/** Prompt + max_tokens do not fit the context the engine was created with (HTTP 400). */
export class ContextLengthExceededError extends EngineError {
  constructor(readonly promptTokens: number, readonly requested: number, readonly contextLength: number) {
    super(
      `This model's context is ${contextLength} tokens; the prompt has ${promptTokens} and max_tokens asks for ${requested}. ` +
        'Shorten the messages, lower max_tokens, or create the engine with a larger contextLength.',
      400,
      'invalid_request_error',
      'context_length_exceeded',
      'messages',
    );
  }
}

/** The model directory/file/URL does not exist or is not a model (HTTP 404 when served). */
export class ModelNotFoundError extends EngineError {
  constructor(readonly location: string, detail: string) {
    super(`No model at ${location}: ${detail}`, 404, 'invalid_request_error', 'model_not_found', 'model');
  }
}

/** config.json / GGUF names an architecture Cria does not implement. */
export class UnsupportedArchitectureError extends EngineError {
  constructor(readonly architecture: string, readonly supported: readonly string[]) {
    super(
      `Unsupported architecture "${architecture}". Cria runs: ${supported.join(', ')}. ` +
        'Convert the model to one of these, or open an issue with its config.json.',
      400,
      'invalid_request_error',
      'unsupported_architecture',
      'model',
    );
  }
}

/** The engine was disposed, or its GPU device was lost (HTTP 503). */
export class EngineUnavailableError extends EngineError {
  constructor(message: string) {
    super(message, 503, 'server_error', 'engine_unavailable');
  }
}
