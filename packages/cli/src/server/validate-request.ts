/**
 * Turns a JSON body into an engine request, field by field, with OpenAI's names, ranges and
 * `param` on every rejection. Unknown fields are ignored (clients send `user`, `metadata`, ...), but
 * fields that would silently change the answer if ignored (`n` > 1, `tools`, a JSON response
 * format, `echo`, ...) are refused, so a client never gets something other than what it asked for.
 */
import type { ChatCompletionRequest, ChatMessage, CompletionRequest, SamplingParams } from '../engine-types.js';
import { invalidField } from './http-errors.js';

type Body = Record<string, unknown>;

export interface ValidatedRequest<R> {
  /** The engine request, without `signal` (the server adds it). */
  request: R;
  stream: boolean;
  /** `stream_options.include_usage`: send usage in a final chunk with no choices, as OpenAI does. */
  includeUsage: boolean;
  model: string | undefined;
}

const ROLES = new Set(['system', 'user', 'assistant']);

export function validateChatRequest(body: Body): ValidatedRequest<ChatCompletionRequest> {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidField('messages', '"messages" must be a non-empty array of { role, content } objects.', messages === undefined ? 'missing_required_parameter' : 'invalid_type');
  }
  const validated = messages.map((message, index) => validateMessage(message, index));
  refuseUnsupported(body, ['tools', 'functions', 'tool_choice', 'function_call', 'audio', 'modalities', 'prediction']);
  const responseFormat = body.response_format as { type?: unknown } | undefined;
  if (responseFormat !== undefined && responseFormat !== null && responseFormat.type !== 'text') {
    throw invalidField('response_format', 'Only "response_format": { "type": "text" } is supported.', 'unsupported_parameter');
  }
  const maxTokens = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
  return { ...common(body), request: { messages: validated, ...sampling(body, maxTokens) } };
}

export function validateCompletionRequest(body: Body): ValidatedRequest<CompletionRequest> {
  let prompt = body.prompt;
  // OpenAI also takes a batch of prompts; one prompt in an array is the same request.
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
  if (typeof prompt !== 'string') {
    throw invalidField(
      'prompt',
      '"prompt" must be a string (batches of prompts and token-id prompts are not supported).',
      prompt === undefined ? 'missing_required_parameter' : 'invalid_type',
    );
  }
  refuseUnsupported(body, ['suffix', 'echo']);
  if (body.best_of !== undefined && body.best_of !== 1) throw invalidField('best_of', '"best_of" must be 1 (one completion per request).', 'unsupported_parameter');
  // Completions' logprobs is a number (how many alternatives), chat's a boolean plus top_logprobs.
  const logprobs = optionalInteger(body, 'logprobs', 0, 20);
  const params = sampling({ ...body, logprobs: undefined }, 'max_tokens');
  if (logprobs !== undefined) Object.assign(params, { logprobs: true, top_logprobs: logprobs });
  return { ...common(body), request: { prompt, ...params } };
}

function validateMessage(message: unknown, index: number): ChatMessage {
  const param = `messages[${index}]`;
  if (typeof message !== 'object' || message === null) throw invalidField(param, `${param} must be an object with "role" and "content".`, 'invalid_type');
  const { role, content } = message as { role?: unknown; content?: unknown };
  if (typeof role !== 'string' || !ROLES.has(role)) {
    throw invalidField(`${param}.role`, `${param}.role must be "system", "user" or "assistant"; got ${JSON.stringify(role)}.`);
  }
  return { role: role as ChatMessage['role'], content: messageText(content, `${param}.content`) };
}

/** A string, or OpenAI's content parts when all of them are text. */
function messageText(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part, index) => {
        const { type, text } = (part ?? {}) as { type?: unknown; text?: unknown };
        if (type !== 'text' || typeof text !== 'string') {
          throw invalidField(`${param}[${index}]`, `Only text content parts ({ "type": "text", "text": "..." }) are supported; got type ${JSON.stringify(type)}.`);
        }
        return text;
      })
      .join('');
  }
  throw invalidField(param, `${param} must be a string or an array of text parts.`, content === undefined ? 'missing_required_parameter' : 'invalid_type');
}

function common(body: Body): Omit<ValidatedRequest<never>, 'request'> {
  const stream = optionalBoolean(body, 'stream') ?? false;
  const options = body.stream_options;
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
    throw invalidField('stream_options', '"stream_options" must be an object.', 'invalid_type');
  }
  const includeUsage = (options as { include_usage?: unknown } | null | undefined)?.include_usage;
  if (includeUsage !== undefined && typeof includeUsage !== 'boolean') throw invalidField('stream_options.include_usage', '"stream_options.include_usage" must be a boolean.', 'invalid_type');
  const model = body.model;
  if (model !== undefined && typeof model !== 'string') throw invalidField('model', '"model" must be a string.', 'invalid_type');
  const n = body.n;
  if (n !== undefined && n !== null && n !== 1) throw invalidField('n', '"n" must be 1: the server generates one choice per request.', 'unsupported_parameter');
  return { stream, includeUsage: includeUsage === true, model };
}

function sampling(body: Body, maxTokensName: string): SamplingParams {
  const params: SamplingParams = {
    temperature: optionalNumber(body, 'temperature', 0, 2),
    top_p: optionalNumber(body, 'top_p', 0, 1),
    top_k: optionalInteger(body, 'top_k', 0, Number.MAX_SAFE_INTEGER),
    min_p: optionalNumber(body, 'min_p', 0, 1),
    repetition_penalty: optionalNumber(body, 'repetition_penalty', Number.MIN_VALUE, 10),
    frequency_penalty: optionalNumber(body, 'frequency_penalty', -2, 2),
    presence_penalty: optionalNumber(body, 'presence_penalty', -2, 2),
    seed: optionalInteger(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    max_tokens: optionalInteger(body, maxTokensName, 1, Number.MAX_SAFE_INTEGER),
    logprobs: optionalBoolean(body, 'logprobs'),
    top_logprobs: optionalInteger(body, 'top_logprobs', 0, 20),
    stop: optionalStop(body),
    stop_token_ids: optionalIntegerArray(body, 'stop_token_ids'),
    logit_bias: optionalLogitBias(body),
  };
  // Leave absent fields out, so the engine's defaults apply.
  for (const key of Object.keys(params) as Array<keyof SamplingParams>) if (params[key] === undefined) delete params[key];
  return params;
}

function refuseUnsupported(body: Body, names: readonly string[]): void {
  for (const name of names) {
    const value = body[name];
    if (value !== undefined && value !== null && value !== false) {
      throw invalidField(name, `"${name}" is not supported by this server; remove it from the request.`, 'unsupported_parameter');
    }
  }
}

function optionalNumber(body: Body, name: string, min: number, max: number): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidField(name, `"${name}" must be a number; got ${JSON.stringify(value)}.`, 'invalid_type');
  if (value < min || value > max) throw invalidField(name, `"${name}" must be between ${min} and ${max}; got ${value}.`);
  return value;
}

function optionalInteger(body: Body, name: string, min: number, max: number): number | undefined {
  const value = optionalNumber(body, name, min, max);
  if (value !== undefined && !Number.isInteger(value)) throw invalidField(name, `"${name}" must be an integer; got ${value}.`, 'invalid_type');
  return value;
}

function optionalBoolean(body: Body, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidField(name, `"${name}" must be true or false; got ${JSON.stringify(value)}.`, 'invalid_type');
  return value;
}

function optionalStop(body: Body): string | string[] | undefined {
  const stop = body.stop;
  if (stop === undefined || stop === null) return undefined;
  if (typeof stop === 'string') return stop;
  if (Array.isArray(stop) && stop.length <= 16 && stop.every((item) => typeof item === 'string' && item.length > 0)) return stop as string[];
  throw invalidField('stop', '"stop" must be a string or an array of at most 16 non-empty strings.', 'invalid_type');
}

function optionalIntegerArray(body: Body, name: string): number[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.every((item) => Number.isInteger(item) && item >= 0)) return value as number[];
  throw invalidField(name, `"${name}" must be an array of token ids (non-negative integers).`, 'invalid_type');
}

function optionalLogitBias(body: Body): Record<string, number> | undefined {
  const bias = body.logit_bias;
  if (bias === undefined || bias === null) return undefined;
  if (typeof bias !== 'object' || Array.isArray(bias)) throw invalidField('logit_bias', '"logit_bias" must be an object mapping token ids to biases.', 'invalid_type');
  for (const [token, value] of Object.entries(bias)) {
    if (!/^\d+$/.test(token)) throw invalidField('logit_bias', `"logit_bias" keys must be token ids; got ${JSON.stringify(token)}.`);
    if (typeof value !== 'number' || value < -100 || value > 100) throw invalidField('logit_bias', `"logit_bias" values must be numbers between -100 and 100; got ${JSON.stringify(value)} for token ${token}.`);
  }
  return bias as Record<string, number>;
}
