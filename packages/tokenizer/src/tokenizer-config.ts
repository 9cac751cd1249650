import { TokenizerFormatError } from './errors.js';

/** The parts of tokenizer_config.json (or GGUF metadata) that change behaviour. */
export interface TokenizerConfig {
  bosToken: string | null;
  eosToken: string | null;
  /** Jinja chat templates by name; `default` is the one `applyChatTemplate` uses unless told otherwise. */
  chatTemplates: Map<string, string>;
  cleanUpTokenizationSpaces: boolean;
}

export const EMPTY_CONFIG: TokenizerConfig = { bosToken: null, eosToken: null, chatTemplates: new Map(), cleanUpTokenizationSpaces: false };

/** Reads a parsed tokenizer_config.json. Missing fields take transformers' defaults. */
export function tokenizerConfigFromJson(json: unknown): TokenizerConfig {
  if (json === undefined || json === null) return EMPTY_CONFIG;
  if (typeof json !== 'object' || Array.isArray(json)) throw new TokenizerFormatError('tokenizer_config', 'an object', json);
  const config = json as Record<string, unknown>;
  const chatTemplates = new Map<string, string>();
  const template = config['chat_template'];
  if (typeof template === 'string') {
    chatTemplates.set('default', template);
  } else if (Array.isArray(template)) {
    template.forEach((entry, index) => {
      const item = entry as { name?: unknown; template?: unknown };
      if (typeof item?.name !== 'string' || typeof item.template !== 'string') {
        throw new TokenizerFormatError(`tokenizer_config.chat_template[${index}]`, 'a { name, template } object', entry);
      }
      chatTemplates.set(item.name, item.template);
    });
  } else if (template !== undefined && template !== null) {
    throw new TokenizerFormatError('tokenizer_config.chat_template', 'a string or a list of { name, template }', template);
  }
  return {
    bosToken: tokenContent(config['bos_token'], 'tokenizer_config.bos_token'),
    eosToken: tokenContent(config['eos_token'], 'tokenizer_config.eos_token'),
    chatTemplates,
    // transformers' default is true for tokenizers that do not say.
    cleanUpTokenizationSpaces: config['clean_up_tokenization_spaces'] !== false,
  };
}

function tokenContent(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  const content = (value as { content?: unknown }).content;
  if (typeof content === 'string') return content;
  throw new TokenizerFormatError(field, 'a string or { "content": … }', value);
}
