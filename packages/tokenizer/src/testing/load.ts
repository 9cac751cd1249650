import { loadTokenizer } from '../loaders/tokenizer-json.js';
import type { Tokenizer } from '../tokenizer.js';
import { vocabularyFiles, type VocabularyName } from './vocabularies.js';

const loaded = new Map<VocabularyName, Tokenizer>();

/** The Cria tokenizer of a test vocabulary, loaded once per test file. */
export function testTokenizer(name: VocabularyName): Tokenizer {
  let tokenizer = loaded.get(name);
  if (!tokenizer) {
    const { tokenizerJson, tokenizerConfig } = vocabularyFiles(name);
    tokenizer = loadTokenizer(tokenizerJson, tokenizerConfig);
    loaded.set(name, tokenizer);
  }
  return tokenizer;
}
