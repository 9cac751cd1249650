import { createReferenceBackend } from '@cria/kernels';
import { configFromHf, testVocabulary, tokenizerConfigJson, tokenizerJson } from '@cria/runtime';
import { loadTokenizer } from '@cria/tokenizer';
import { describe, expect, it } from 'vitest';
import { LlamaTrainingModel } from '../model/llama-training-model.js';
import { IGNORE_INDEX } from '../model/training-batch.js';
import { DataLoader } from './data-loader.js';
import { packExamples } from './packing.js';
import { describeOverlong, NothingToLearnError } from './packing-stats.js';
import { TrainingInputError } from '../errors.js';
import { parseTrainingJsonl, tokenizeExample } from './training-example.js';

const vocabulary = testVocabulary(320);
const tokenizer = loadTokenizer(tokenizerJson(vocabulary), tokenizerConfigJson(vocabulary));

const JSONL = [
  JSON.stringify({ prompt: 'Say hi:', completion: ' hi' }),
  '',
  JSON.stringify({ messages: [{ role: 'user', content: 'ping' }, { role: 'assistant', content: 'pong' }] }),
].join('\n');

describe('training data', () => {
  it('parses both JSONL formats and names the line of a bad record', () => {
    expect(parseTrainingJsonl(JSONL)).toHaveLength(2);
    expect(() => parseTrainingJsonl('{"prompt": 1}\n', 'train.jsonl')).toThrow(/train\.jsonl:1/);
    expect(() => parseTrainingJsonl('{oops', 'train.jsonl')).toThrow(/one JSON object per line/);
  });

  it('checks every message of a conversational record, naming the line and the message', () => {
    const line = (messages: unknown) => `${JSONL}\n${JSON.stringify({ messages })}`;
    expect(() => parseTrainingJsonl(line([{ role: 'user', content: 'a' }, null]), 'train.jsonl')).toThrow(/train\.jsonl:4 messages\[1\]: expected an object with a "role" string and a "content" string, got null/);
    expect(() => parseTrainingJsonl(line([5]))).toThrow(TrainingInputError);
    expect(() => parseTrainingJsonl(line([{ role: 5, content: 'x' }]))).toThrow(/messages\[0\]/);
    expect(() => parseTrainingJsonl(line([{ role: 'user', content: { text: 'x' } }]))).toThrow(/messages\[0\]/);
    expect(() => parseTrainingJsonl(line([{ role: 'user' }]))).toThrow(/messages\[0\]/);
    expect(() => parseTrainingJsonl(line([]))).toThrow(/data\.jsonl:4: expected at least one message/);
    // Fields beyond role and content (a name, tool calls) pass through to the chat template.
    expect(parseTrainingJsonl(line([{ role: 'tool', content: 'x', name: 'calc' }]))[2]).toEqual({ messages: [{ role: 'tool', content: 'x', name: 'calc' }] });
  });

  it('learns only the completion (and eos) / the assistant turn', () => {
    const [pair, chat] = parseTrainingJsonl(JSONL).map((example) => tokenizeExample(tokenizer, example));
    const learned = (example: typeof pair) => tokenizer.decode(example!.ids.filter((_, i) => example!.lossMask[i]), { skipSpecialTokens: true });
    expect(learned(pair)).toBe(' hi');
    expect(pair!.ids.at(-1)).toBe(tokenizer.eosTokenId);
    expect(learned(chat)).toContain('pong');
    expect(learned(chat)).not.toContain('ping');
  });

  it('packs samples with restarting positions, one segment each, and targets only inside a sample', () => {
    const examples = [
      { ids: [1, 2, 3], lossMask: [0, 1, 1] },
      { ids: [4, 5], lossMask: [1, 1] },
      { ids: [6, 7, 8, 9], lossMask: [0, 0, 1, 1] },
    ];
    const { rows, stats } = packExamples(examples, { sequenceLength: 6, padId: 0 });
    expect(rows).toHaveLength(2);
    expect(stats).toMatchObject({ samples: 3, packedSamples: 3, rows: 2, learnedTokens: 5, overlongSamples: 0, droppedTokens: 0 });
    expect(describeOverlong(stats)).toBeUndefined();
    expect([...rows[0]!.ids]).toEqual([1, 2, 3, 4, 5, 0]);
    expect([...rows[0]!.targets]).toEqual([2, 3, IGNORE_INDEX, 5, IGNORE_INDEX, IGNORE_INDEX]);
    expect([...rows[0]!.positions]).toEqual([0, 1, 2, 0, 1, 0]);
    expect([...rows[0]!.segmentIds]).toEqual([0, 0, 0, 1, 1, 2]);
    expect([...rows[1]!.targets]).toEqual([IGNORE_INDEX, 8, 9, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]);
  });

  // Over-long samples: 8 tokens, 6 learned (ids 3..8), in rows of 5; a 7-token one whose learned tokens all lie past 5.
  const SHORT = { ids: [1, 2, 3], lossMask: [0, 1, 1] };
  const LONG = { ids: [10, 11, 12, 13, 14, 15, 16, 17], lossMask: [0, 0, 1, 1, 1, 1, 1, 1] };
  const ANSWER_PAST_THE_END = { ids: [20, 21, 22, 23, 24, 25, 26], lossMask: [0, 0, 0, 0, 0, 1, 1] };

  it('drops over-long samples by default and counts what they lose', () => {
    const { rows, stats } = packExamples([SHORT, LONG, ANSWER_PAST_THE_END], { sequenceLength: 5, padId: 0 });
    expect(rows.map((row) => [...row.ids])).toEqual([[1, 2, 3, 0, 0]]);
    expect(stats).toEqual({
      policy: 'drop', sequenceLength: 5, samples: 3, packedSamples: 1, rows: 1, learnedTokens: 2,
      overlongSamples: 2, truncatedSamples: 0, droppedSamples: 2, droppedTokens: 15, droppedLearnedTokens: 8,
      samplesWithoutLearnedTokens: 1, longestSample: 8,
    });
    expect(describeOverlong(stats)).toBe(
      "2 samples of 3 are longer than 5 tokens (longest: 8) and were dropped: 15 tokens (8 learned) are not trained on. To keep them, raise the sequence length to 8 to train on every sample whole, or pass overlong: 'truncate' (their ends are then cut, end-of-turn token included).",
    );
  });

  it("truncates with overlong: 'truncate', dropping a sample left with nothing to learn, and says the end is lost", () => {
    const { rows, stats } = packExamples([LONG, ANSWER_PAST_THE_END, SHORT], { sequenceLength: 5, padId: 0, overlong: 'truncate' });
    expect(rows.map((row) => [...row.ids])).toEqual([[10, 11, 12, 13, 14], [1, 2, 3, 0, 0]]);
    expect([...rows[0]!.targets]).toEqual([IGNORE_INDEX, 12, 13, 14, IGNORE_INDEX]); // 15.. and the end are gone
    expect(stats).toMatchObject({ truncatedSamples: 1, droppedSamples: 1, droppedTokens: 3 + 7, droppedLearnedTokens: 3 + 2, samplesWithoutLearnedTokens: 1, learnedTokens: 3 + 2 });
    const warning = describeOverlong(stats, { sequenceLength: '--seq-len', policy: (policy) => `--overlong ${policy}` })!;
    expect(warning).toContain('1 sample was truncated to the first 5 tokens, losing the end-of-turn token');
    expect(warning).toContain('1 sample kept no learned token and was dropped');
    expect(warning).toContain('Raise --seq-len to 8');
    expect(warning).toContain('--overlong drop');
  });

  it('refuses to pack data that leaves nothing to learn, naming the fix', () => {
    const names = { sequenceLength: '--seq-len', policy: (policy: string) => `--overlong ${policy}` };
    const error = (() => {
      try {
        packExamples([LONG, ANSWER_PAST_THE_END], { sequenceLength: 5, padId: 0, subject: 'train split', names });
      } catch (caught) {
        return caught as NothingToLearnError;
      }
    })();
    expect(error).toBeInstanceOf(NothingToLearnError);
    expect(error!.message).toBe(
      'train split: expected samples with learned tokens within 5 tokens, got none: 2 of 2 samples are longer (longest: 8) and were dropped. Hint: raise --seq-len to 8, or pass --overlong truncate, or shorten the samples',
    );
    expect(error!.stats.droppedLearnedTokens).toBe(8);
    expect(() => packExamples([{ ids: [1, 2], lossMask: [0, 0] }], { sequenceLength: 5, padId: 0 })).toThrow(/marks no token to learn/);
    expect(() => packExamples([SHORT], { sequenceLength: 5, padId: 0, overlong: 'wrap' as 'drop' })).toThrow(/'drop' or 'truncate'/);
  });

  it('the loader carries the packing stats', () => {
    const packed = packExamples([SHORT, LONG, SHORT], { sequenceLength: 5, padId: 0 });
    expect(new DataLoader(packed, { batchSize: 1, seed: 1 }).packing).toBe(packed.stats);
    expect(new DataLoader(packed.rows, { batchSize: 1, seed: 1 }).packing).toBeUndefined();
  });

  it('shuffles by (seed, epoch) so a position alone resumes the order', () => {
    const rows = packExamples(Array.from({ length: 10 }, (_, i) => ({ ids: [i, i, i, i], lossMask: [1, 1, 1, 1] })), { sequenceLength: 4, padId: 0 }).rows;
    const first = new DataLoader(rows, { batchSize: 2, seed: 5 });
    const taken = Array.from({ length: 12 }, () => first.next().ids[0]);
    expect(new Set(taken.slice(0, 5)).size).toBe(5); // one epoch: every row once
    expect(taken.slice(0, 5)).not.toEqual(taken.slice(5, 10)); // reshuffled next epoch
    const resumed = new DataLoader(rows, { batchSize: 2, seed: 5 });
    resumed.seek({ epoch: 1, batch: 2 });
    expect([resumed.next().ids[0], resumed.next().ids[0]]).toEqual(taken.slice(7, 9));
  });

  it('a packed row gives each sample the logits it has alone (no attention across samples)', async () => {
    const backend = createReferenceBackend();
    const config = configFromHf({ architectures: ['LlamaForCausalLM'], vocab_size: 32, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 });
    const model = LlamaTrainingModel.initialize(backend, config, { seed: 3, std: 0.3 });
    const samples = [{ ids: [3, 9, 4, 1, 7], lossMask: [1, 1, 1, 1, 1] }, { ids: [5, 2, 8], lossMask: [1, 1, 1] }];
    const [packed] = packExamples(samples, { sequenceLength: 8, padId: 0 }).rows;
    model.forward({ batchSize: 1, sequenceLength: 8, ...packed! });
    const packedLogits = await model.readLogits();
    let offset = 0;
    for (const sample of samples) {
      const [alone] = packExamples([sample], { sequenceLength: sample.ids.length, padId: 0 }).rows;
      model.forward({ batchSize: 1, sequenceLength: sample.ids.length, ...alone! });
      const logits = await model.readLogits();
      const slice = packedLogits.subarray(offset * 32, (offset + sample.ids.length) * 32);
      for (let i = 0; i < logits.length; i++) expect(slice[i]).toBeCloseTo(logits[i]!, 5);
      offset += sample.ids.length;
    }
    model.dispose();
  });
});
