// Mutation tests of training data: valid JSONL records (prompt/completion and chats) with one value
// swapped for another kind, removed, or the line cut short must parse and tokenize, or be refused
// with a TrainingInputError naming the line (or a typed tokenizer error) — never a TypeError.
import { mutateJson, SeededRandom, testVocabulary, tokenizerConfigJson, tokenizerJson } from '@cria/runtime';
import { loadTokenizer, TokenizerError } from '@cria/tokenizer';
import { describe, expect, it } from 'vitest';
import { TrainingInputError } from '../errors.js';
import { parseTrainingJsonl, tokenizeExample } from './training-example.js';

const vocabulary = testVocabulary(320);
const tokenizer = loadTokenizer(tokenizerJson(vocabulary), tokenizerConfigJson(vocabulary));
const ROUNDS = Number(process.env.CRIA_MUTATION_ROUNDS ?? 400);

const RECORDS = [
  { prompt: 'Say hi:', completion: ' hi' },
  {
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'ping' },
      { role: 'assistant', content: 'pong' },
      { role: 'user', content: 'again' },
      { role: 'assistant', content: 'pong pong' },
    ],
  },
];

describe('mutated training JSONL', () => {
  it.each(RECORDS.map((record) => [Object.keys(record)[0]!, record] as const))(`${ROUNDS} mutations of a %s record: examples or a typed refusal`, (_, record) => {
    const random = new SeededRandom(ROUNDS + JSON.stringify(record).length);
    const untyped: string[] = [];
    const outcomes = { parsed: 0, refused: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      const valid = JSON.stringify(record);
      const cut = random.uniform() < 0.1;
      const mutation = cut ? { describe: 'line cut short', value: undefined } : mutateJson(random, record);
      const line = cut ? valid.slice(0, Math.floor(random.uniform() * valid.length)) : JSON.stringify(mutation.value);
      try {
        const examples = parseTrainingJsonl(`${valid}\n${line}`, 'train.jsonl');
        for (const example of examples) tokenizeExample(tokenizer, example);
        outcomes.parsed++;
      } catch (error) {
        if (error instanceof TrainingInputError) {
          expect(error.message).toContain('train.jsonl:2');
          outcomes.refused++;
        } else if (error instanceof TokenizerError) {
          outcomes.refused++;
        } else {
          untyped.push(`${mutation.describe} → ${(error as Error).constructor.name}: ${(error as Error).message}`);
        }
      }
    }
    expect(untyped).toEqual([]);
    expect(outcomes.parsed).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
