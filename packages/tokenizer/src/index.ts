export { Tokenizer, type EncodeOptions, type DecodeOptions } from './tokenizer.js';
export { loadTokenizer } from './loaders/tokenizer-json.js';
export type { TokenizerConfig } from './tokenizer-config.js';
export type { AddedToken } from './added-tokens.js';
export {
  TokenizerError,
  TokenizerFormatError,
  UnsupportedComponentError,
  TokenizerRegexError,
  SpecialTokenInTextError,
  ChatTemplateError,
  AssistantMaskError,
  OffsetsUnavailableError,
  TokenizerInputError,
} from './errors.js';
export { StreamDecoder } from './stream-decoder.js';
export type { ChatMessage, ChatTemplateOptions, EncodedChat } from './chat-template.js';
export { tokenizerFromGguf, type GgufMetadata } from './loaders/gguf-metadata.js';
export {
  trainByteLevelBpe,
  TrainingOptionsError,
  SPLIT_PATTERNS,
  type ByteLevelBpeTrainingOptions,
  type TrainedTokenizer,
} from './models/train-byte-level-bpe.js';
