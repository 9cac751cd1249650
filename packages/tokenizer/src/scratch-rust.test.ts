import { test } from 'vitest';
import { createRequire } from 'node:module';
import { generateCorpus } from './testing/corpus.js';
import { testTokenizer } from './testing/load.js';
import { vocabularyFiles, VOCABULARIES } from './testing/vocabularies.js';
const require = createRequire(import.meta.url);
const rust = require('@anush008/tokenizers');

test('rust', async () => {
  const corpus = generateCorpus({ bytes: 1_100_000, excludeOracleDivergences: false });
  for (const name of VOCABULARIES) {
    const rt = rust.Tokenizer.fromString(JSON.stringify(vocabularyFiles(name).tokenizerJson));
    const mine = testTokenizer(name);
    let bad = 0;
    const t0 = performance.now();
    for (const chunk of corpus) {
      const enc = await rt.encode(chunk, null, { addSpecialTokens: true });
      const ids = Array.from(enc.getIds());
      const m = mine.encode(chunk, { allowedSpecial: 'all' });
      if (JSON.stringify(ids) !== JSON.stringify(m)) {
        bad++;
        if (bad < 4) {
          let i = 0; while (ids[i] === m[i]) i++;
          console.log('MISMATCH', name, i, JSON.stringify(mine.decode(m.slice(Math.max(0, i - 3), i + 3))), JSON.stringify(ids.slice(Math.max(0, i - 3), i + 3)), JSON.stringify(m.slice(Math.max(0, i - 3), i + 3)));
        }
      }
      const dec = await rt.decode(ids, false);
      if (dec !== mine.decode(ids, { cleanUpTokenizationSpaces: false })) { bad++; if (bad < 6) console.log('DECODE', name, JSON.stringify(dec.slice(0, 80)), JSON.stringify(mine.decode(ids, { cleanUpTokenizationSpaces: false }).slice(0, 80))); }
    }
    console.log(name, 'rust mismatches', bad, 'of', corpus.length, Math.round(performance.now() - t0), 'ms');
  }
}, 300000);
