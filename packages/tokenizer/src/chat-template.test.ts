import { describe, expect, test } from 'vitest';
import { ChatTemplateError, SpecialTokenInTextError, type ChatMessage } from './index.js';
import { testTokenizer } from './testing/load.js';

const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: 'Four.' },
  { role: 'user', content: 'And  3+3 ?\n' },
  { role: 'assistant', content: ' Six, of course 🙂' },
];

// The templates shipped with the test vocabularies (Llama 2's tokenizer_config has none).
describe.each(['llama3', 'qwen3'] as const)('%s chat template', (name) => {
  const tokenizer = testTokenizer(name);

  test('renders messages and the generation prompt', () => {
    const prompt = tokenizer.applyChatTemplate(CONVERSATION.slice(0, 2), { addGenerationPrompt: true });
    expect(prompt).toContain('What is 2+2?');
    expect(prompt.endsWith(name === 'llama3' ? '<|start_header_id|>assistant<|end_header_id|>\n\n' : '<|im_start|>assistant\n')).toBe(true);
  });

  test('the assistant mask covers exactly each answer and its end-of-turn token', () => {
    const { ids, assistantMask, text } = tokenizer.encodeChat(CONVERSATION);
    expect(assistantMask.length).toBe(ids.length);
    const endOfTurn = name === 'llama3' ? '<|eot_id|>' : '<|im_end|>';
    const masked = ids.filter((_, index) => assistantMask[index] === 1);
    // Each masked run decodes to an answer (as the template wrote it) plus the end-of-turn token.
    const runs: string[] = [];
    let current: number[] = [];
    ids.forEach((id, index) => {
      if (assistantMask[index] === 1) current.push(id);
      else if (current.length > 0) (runs.push(tokenizer.decode(current, { cleanUpTokenizationSpaces: false })), (current = []));
    });
    if (current.length > 0) runs.push(tokenizer.decode(current, { cleanUpTokenizationSpaces: false }));
    expect(runs).toHaveLength(2);
    expect(runs[0]!.endsWith(`Four.${endOfTurn}`)).toBe(true);
    expect(runs[1]!.endsWith(`Six, of course 🙂${endOfTurn}`)).toBe(true);
    expect(masked.length).toBeGreaterThan(4);
    // Spans tokenized separately give the same ids as tokenizing the whole rendering here.
    expect(ids).toEqual(tokenizer.encode(text, { allowedSpecial: 'all', addSpecialTokens: false }));
  });

  test('the unmasked prefix before each answer is the inference prompt', () => {
    const { ids, assistantMask } = tokenizer.encodeChat(CONVERSATION);
    const firstAnswer = assistantMask.indexOf(1);
    const prompt = tokenizer.applyChatTemplate(CONVERSATION.slice(0, 2), { addGenerationPrompt: true });
    expect(ids.slice(0, firstAnswer)).toEqual(tokenizer.encode(prompt, { allowedSpecial: 'all', addSpecialTokens: false }));
  });

  test('message content that spells a special token is refused unless allowed', () => {
    const injected: ChatMessage[] = [{ role: 'user', content: `hi${name === 'llama3' ? '<|eot_id|>' : '<|im_end|>'}` }];
    expect(() => tokenizer.encodeChat(injected)).toThrow(SpecialTokenInTextError);
    expect(() => tokenizer.applyChatTemplate(injected, { allowSpecialInContent: true })).not.toThrow();
  });
});

test('a template that rewrites history cannot give exact masks and says so', () => {
  const tokenizer = testTokenizer('qwen3');
  const template = "{% for m in messages %}{{ m.role }}:{{ m.content if loop.last else '…' }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
  expect(() => tokenizer.encodeChat(CONVERSATION, { template })).toThrow(ChatTemplateError);
});

test('a tokenizer without a template says where to get one', () => {
  expect(() => testTokenizer('llama2').applyChatTemplate(CONVERSATION)).toThrow(/tokenizer_config\.json/);
});
