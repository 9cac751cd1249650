/**
 * The engine's public API, shaped like OpenAI's chat/completions API (and web-llm's), so a Cria engine
 * can stand in for a remote model in-process, in a worker, or behind `cria serve`.
 * Field names follow OpenAI's wire format (snake_case) so the HTTP server passes them through unchanged.
 */
import type { BackendChoice } from '@cria/kernels';
import type { ModelLocation } from '../loading/model-location.js';
import type { KvCacheType } from '../model/kv-cache.js';

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface SamplingParams {
  /** 0 = greedy. Default 1. */
  temperature?: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  /** Multiplicative penalty (llama.cpp / HF style) on tokens already in the context; 1 = off. */
  repetition_penalty?: number;
  /** OpenAI-style additive penalties over the generated tokens. */
  frequency_penalty?: number;
  presence_penalty?: number;
  /** Token id (as a string, as in OpenAI's API) → bias added to its logit. */
  logit_bias?: Record<string, number>;
  /** Same seed, same request, same backend → same output. */
  seed?: number;
  stop?: string | string[];
  /** Extra token ids that end generation (besides the model's end-of-sequence tokens). */
  stop_token_ids?: number[];
  max_tokens?: number;
  logprobs?: boolean;
  /** 0..20, with logprobs. */
  top_logprobs?: number;
}

interface RequestBase extends SamplingParams {
  model?: string;
  stream?: boolean;
  /** Aborting ends generation; the result (or the stream) finishes with finish_reason 'abort'. */
  signal?: AbortSignal;
}

export interface ChatCompletionRequest extends RequestBase {
  messages: ChatMessage[];
}

export interface CompletionRequest extends RequestBase {
  prompt: string;
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

export interface ChoiceLogprobs {
  content: Array<TokenLogprob & { top_logprobs: TokenLogprob[] }>;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Prompt tokens actually run through the model (a reused KV-cache prefix is not counted). */
  prefill_tokens: number;
  prefill_tokens_per_second: number;
  decode_tokens_per_second: number;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: 0; message: { role: 'assistant'; content: string }; finish_reason: FinishReason; logprobs: ChoiceLogprobs | null }>;
  usage: Usage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: 0; delta: { role?: 'assistant'; content?: string }; finish_reason: FinishReason | null; logprobs: ChoiceLogprobs | null }>;
  /** Present on the last chunk only. */
  usage?: Usage;
}

export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{ index: 0; text: string; finish_reason: FinishReason; logprobs: ChoiceLogprobs | null }>;
  usage: Usage;
}

export interface CompletionChunk {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{ index: 0; text: string; finish_reason: FinishReason | null; logprobs: ChoiceLogprobs | null }>;
  usage?: Usage;
}

export interface LoadProgress {
  /** 'download' | 'read' | 'upload' … */
  phase: string;
  loadedBytes: number;
  totalBytes: number;
  /** A file or tensor name when known. */
  item?: string;
}

export interface EngineOptions {
  /**
   * A model directory (HF: config.json + safetensors + tokenizer.json), a .gguf path, or a URL; or a
   * ModelLocation (browser files or a cached download: `browserModelLocation`).
   */
  model: string | ModelLocation;
  backend?: BackendChoice;
  /**
   * Maximum context (prompt + generated) the KV cache is allocated for; default min(model max, 4096,
   * sliding attention window). Longer than a sliding window is an InvalidRequestError.
   */
  contextLength?: number;
  /**
   * Element type of the KV cache: 'f16' halves its memory (llama.cpp's default), 'f32' keeps keys
   * and values unrounded. Default: 'f16' on WebGPU, 'f32' on wasm and reference (wasm widens f16
   * in software: its decode attention runs 1.2–1.5× slower on an f16 cache).
   */
  kvCacheType?: KvCacheType;
  onProgress?: (progress: LoadProgress) => void;
  /** Abort loading. */
  signal?: AbortSignal;
}

export interface ModelInfo {
  id: string;
  architecture: string;
  parameters: number;
  contextLength: number;
  /** The KV cache's element type and its size in bytes (allocated once, at contextLength). */
  kvCacheType: KvCacheType;
  kvCacheBytes: number;
  vocabSize: number;
  /** The backend the engine chose, as it describes itself ("wasm relaxed-simd, 2 threads"). */
  backend: string;
  /**
   * Why that backend: "requested" when EngineOptions.backend named it; with 'auto', "hardware WebGPU
   * adapter" or the reason WebGPU was passed over ("WebGPU unavailable (…); using wasm").
   */
  backendReason: string;
}

export interface Engine {
  readonly model: ModelInfo;
  readonly chat: {
    completions: {
      create(request: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk>>;
      create(request: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
    };
  };
  readonly completions: {
    create(request: CompletionRequest & { stream: true }): Promise<AsyncIterable<CompletionChunk>>;
    create(request: CompletionRequest & { stream?: false }): Promise<Completion>;
  };
  /**
   * Next-token logits after each of `ids` ([ids.length, vocab], row t = distribution of token t + 1),
   * for distillation and evaluation. Does not disturb the chat KV cache.
   */
  logits(ids: readonly number[]): Promise<Float32Array>;
  /** Token ids ⇄ text with the model's tokenizer. */
  tokenize(text: string): number[];
  detokenize(ids: readonly number[]): string;
  dispose(): Promise<void>;
}
