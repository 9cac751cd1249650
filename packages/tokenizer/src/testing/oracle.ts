import * as transformers from '@huggingface/transformers';
import { vocabularyFiles, type VocabularyName } from './vocabularies.js';

/** transformers.js, the oracle of the parity tests: a devDependency, never used by the package. */
export interface OracleTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
}

export function loadOracle(name: VocabularyName): OracleTokenizer {
  const { tokenizerJson, tokenizerConfig } = vocabularyFiles(name);
  const className = String(tokenizerConfig['tokenizer_class']);
  const exported = (transformers as unknown as Record<string, unknown>)[className];
  const TokenizerClass = (typeof exported === 'function' ? exported : transformers.PreTrainedTokenizer) as unknown as new (json: unknown, config: unknown) => OracleTokenizer;
  return new TokenizerClass(tokenizerJson, tokenizerConfig);
}
