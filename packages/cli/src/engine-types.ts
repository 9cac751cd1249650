/**
 * The engine API the CLI drives, re-exported from @cria/runtime in one place (its contract:
 * packages/runtime/src/engine/api-types.ts).
 */
export type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  Completion,
  CompletionChunk,
  CompletionRequest,
  Engine,
  EngineOptions,
  FinishReason,
  KvCacheType,
  LoadProgress,
  ModelInfo,
  SamplingParams,
  Usage,
} from '@cria/runtime';
