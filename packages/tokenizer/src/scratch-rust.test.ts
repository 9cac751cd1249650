import { test } from 'vitest';
import { createRequire } from 'node:module';
import { writeFileSync, readFileSync } from 'node:fs';
import { trainByteLevelBpe } from './index.js';
import { generateCorpus } from './testing/corpus.js';
import { testTokenizer } from './testing/load.js';
import { vocabularyFiles, VOCABULARIES } from './testing/vocabularies.js';
const require = createRequire('/tmp/rust-oracle/');
const rust = require('@anush008/tokenizers');

test('rust', async () => {
  for (const [pattern, nfc, bytes] of [['llama3', false, 400_000], ['qwen2', true, 200_000], ['gpt2', false, 200_000]] as const) {
    const training = generateCorpus({ bytes, seed: 5 }).join('');
    const lines = training.split(/(?<=\n)/);
    writeFileSync('/tmp/train.txt', training);
    const t0 = performance.now();
    const ours2 = trainByteLevelBpe(lines, { vocabSize: 1_000_000, minFrequency: 0, pattern, nfc });
    const t1 = performance.now();
    const empty = JSON.parse(JSON.stringify(ours2.tokenizerJson));
    empty.model.vocab = {}; empty.model.merges = []; empty.added_tokens = [];
    const t2 = rust.Tokenizer.fromString(JSON.stringify(empty));
    t2.train(['/tmp/train.txt']);
    const t3 = performance.now();
    t2.save('/tmp/rust-trained.json');
    const rj = JSON.parse(readFileSync('/tmp/rust-trained.json', 'utf8'));
    const rm = rj.model.merges.map((m: any) => Array.isArray(m) ? m.join(' ') : m);
    const om = (ours2.tokenizerJson as any).model.merges;
    let first = -1; for (let i = 0; i < Math.max(rm.length, om.length); i++) if (rm[i] !== om[i]) { first = i; break; }
    console.log(pattern, 'merges rust', rm.length, 'ours', om.length, 'first diff', first, rm.slice(first, first+2), om.slice(first, first+2), 'ms ours', Math.round(t1-t0), 'rust', Math.round(t3-t1));
  }
  for (const name of VOCABULARIES) {
    const rt = rust.Tokenizer.fromString(JSON.stringify(vocabularyFiles(name).tokenizerJson));
    const mine = testTokenizer(name);
    for (const text of ['a \ufeffb', 'a \u0085b', "it'ſa", 'K\u212a']) {
      const enc = await rt.encode(text, null, { addSpecialTokens: false });
      console.log(name, JSON.stringify(text), JSON.stringify(Array.from(enc.getIds())), JSON.stringify(mine.encode(text, { addSpecialTokens: false })));
    }
    let bad = 0;
    for (const chunk of generateCorpus({ bytes: 300_000, seed: 9, excludeOracleDivergences: false })) {
      const enc = await rt.encode(chunk, null, { addSpecialTokens: false });
      const ids = Array.from(enc.getIds());
      const m = mine.encode(chunk, { allowedSpecial: 'all', addSpecialTokens: false });
      if (JSON.stringify(ids) !== JSON.stringify(m)) { bad++; if (bad < 3) console.log('MISMATCH', name, JSON.stringify(chunk).slice(0, 300)); }
    }
    console.log(name, 'rust encode mismatches', bad);
  }
}, 300000);
