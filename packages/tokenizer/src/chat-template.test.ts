import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AssistantMaskError, ChatTemplateError, SpecialTokenInTextError, type ChatMessage } from './index.js';
import { testTokenizer } from './testing/load.js';
import type { Tokenizer } from './tokenizer.js';

const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: 'Four.' },
  { role: 'user', content: 'And  3+3 ?\n' },
  { role: 'assistant', content: ' Six, of course 🙂' },
  { role: 'user', content: 'naïve cafe\u0301? 日本語' },
  { role: 'assistant', content: 'Oui — 「はい」 👩🏽‍💻\n\n```js\nx += 1;\n```' },
];

/** Meta's Llama 2 chat template (its tokenizer_config.json in the test package has none). */
const LLAMA2_TEMPLATE =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}" +
  "{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

/**
 * Every template the test vocabularies ship (Llama 3, Qwen 3; Qwen 3 also without thinking) and
 * Llama 2's official one, each with what the template writes for assistant message `index`
 * (through its end-of-turn token), written out independently of the implementation.
 */
interface TemplateCase {
  label: string;
  vocabulary: 'llama3' | 'qwen3' | 'llama2';
  options: { template?: string; variables?: Record<string, unknown> };
  answer(messages: readonly ChatMessage[], index: number): string;
  /** Conversations whose earlier turns the template renders unlike their generation prompt (no exact mask exists). */
  rewritesHistory?(messages: readonly ChatMessage[]): boolean;
}

const lastUser = (messages: readonly ChatMessage[]) => messages.map((message) => message.role).lastIndexOf('user');
const TEMPLATES: TemplateCase[] = [
  { label: 'llama3', vocabulary: 'llama3', options: {}, answer: (messages, index) => `${messages[index]!.content.trim()}<|eot_id|>` },
  {
    label: 'qwen3',
    vocabulary: 'qwen3',
    options: {},
    // The last answer after the last question carries Qwen 3's (empty) thinking block, and the
    // template's `content.lstrip('\n')`, which @huggingface/jinja runs as a strip of all leading
    // white space (Python strips only newlines: see the README).
    answer: (messages, index) =>
      index === messages.length - 1 && index > lastUser(messages) ? `<think>\n\n</think>\n\n${messages[index]!.content.trimStart()}<|im_end|>` : `${messages[index]!.content}<|im_end|>`,
  },
  {
    label: 'qwen3, enable_thinking false',
    vocabulary: 'qwen3',
    options: { variables: { enable_thinking: false } },
    // The generation prompt holds the empty thinking block, so the answer starts after it.
    answer: (messages, index) => `${messages[index]!.content.trimStart()}<|im_end|>`,
    // Earlier answers are rendered without the block their generation prompt had.
    rewritesHistory: (messages) => messages.some((message, index) => message.role === 'assistant' && !(index === messages.length - 1 && index > lastUser(messages))),
  },
  { label: 'llama2 (official template passed in)', vocabulary: 'llama2', options: { template: LLAMA2_TEMPLATE }, answer: (messages, index) => ` ${messages[index]!.content.trim()} </s>` },
];

/** The rendered text of each run of masked tokens, read through the token offsets. */
function maskedRuns(tokenizer: Tokenizer, text: string, ids: number[], mask: number[]): string[] {
  const { offsets } = tokenizer.encodeWithOffsets(text, { allowedSpecial: 'all', addSpecialTokens: false });
  expect(offsets).toHaveLength(ids.length);
  const runs: string[] = [];
  let runStart = -1;
  for (let index = 0; index <= ids.length; index++) {
    if (index < ids.length && mask[index] === 1) {
      if (runStart === -1) runStart = offsets[index]![0];
    } else if (runStart !== -1) {
      runs.push(text.slice(runStart, offsets[index - 1]![1]));
      runStart = -1;
    }
  }
  return runs;
}

function checkExact(templateCase: TemplateCase, messages: readonly ChatMessage[]) {
  const tokenizer = testTokenizer(templateCase.vocabulary);
  if (templateCase.rewritesHistory?.(messages)) {
    expect(() => tokenizer.encodeChat(messages, templateCase.options)).toThrow(/renders the conversation before assistant message \d+ differently/);
    return;
  }
  const { ids, assistantMask, text } = tokenizer.encodeChat(messages, templateCase.options);
  // The ids are the tokenization of the whole rendering, nothing stitched together.
  expect(text).toBe(tokenizer.applyChatTemplate(messages, templateCase.options));
  expect(ids).toEqual(tokenizer.encode(text, { allowedSpecial: 'all', addSpecialTokens: false }));
  expect(assistantMask).toHaveLength(ids.length);
  expect(assistantMask.every((bit) => bit === 0 || bit === 1)).toBe(true);
  // The masked tokens spell exactly each answer and its end-of-turn token, nothing more or less.
  const expected = messages.flatMap((message, index) => (message.role === 'assistant' ? [templateCase.answer(messages, index)] : []));
  expect(maskedRuns(tokenizer, text, ids, assistantMask)).toEqual(expected);
}

describe.each(TEMPLATES)('$label chat template', (templateCase) => {
  const tokenizer = testTokenizer(templateCase.vocabulary);

  test('multi-turn with a system message: ids = encode(rendered), mask = exactly the answers', () => {
    checkExact(templateCase, CONVERSATION);
    checkExact(templateCase, CONVERSATION.slice(1, 3)); // no system message, one turn
    checkExact(templateCase, CONVERSATION.slice(0, 6)); // ends with a question: the last answer is not the last message
  });

  test('the unmasked prefix before the first answer is the inference prompt', () => {
    const conversation = CONVERSATION.slice(0, 3);
    const { ids, assistantMask } = tokenizer.encodeChat(conversation, templateCase.options);
    const prompt = tokenizer.applyChatTemplate(conversation.slice(0, 2), { ...templateCase.options, addGenerationPrompt: true });
    expect(ids.slice(0, assistantMask.indexOf(1))).toEqual(tokenizer.encode(prompt, { allowedSpecial: 'all', addSpecialTokens: false }));
  });

  test('random conversations: exact, or refused with AssistantMaskError — never a wrong mask', () => {
    const content = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.constantFrom('Yes.', ' Sure', 'ok\n', '\nLeading newline', 'x  ', '42', '中文', '👍🏽', '\t\ttabs'),
    );
    let refused = 0;
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(content, content), { minLength: 1, maxLength: 3 }), fc.boolean(), (system, turns, endsWithQuestion) => {
        const messages: ChatMessage[] = system ? [{ role: 'system', content: 'Be brief.' }] : [];
        for (const [question, answer] of turns) messages.push({ role: 'user', content: `Q${question}` }, { role: 'assistant', content: answer });
        if (endsWithQuestion) messages.push({ role: 'user', content: 'More?' });
        if (messages.some((message) => message.content.includes('think>'))) return; // Qwen 3 rewrites those
        try {
          checkExact(templateCase, messages);
        } catch (error) {
          if (!(error instanceof AssistantMaskError)) throw error;
          refused++;
        }
      }),
      { numRuns: 150 },
    );
    expect(refused).toBeLessThan(150);
  });
});

test('an answer whose first newline merges with the template newline is refused, naming the token', () => {
  const qwen = testTokenizer('qwen3');
  const messages: ChatMessage[] = [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: '\nhello' },
    { role: 'user', content: 'bye' },
    { role: 'assistant', content: 'bye' },
  ];
  // "assistant\n" + "\nhello": the two newlines are one token "\n\n" in the whole rendering, so
  // tokenizing the prompt and the answer apart (the old way) would give different ids.
  const text = qwen.applyChatTemplate(messages);
  expect(text).toContain('<|im_start|>assistant\n\nhello');
  expect(() => qwen.encodeChat(messages)).toThrow(AssistantMaskError);
  expect(() => qwen.encodeChat(messages)).toThrow(/"\\n\\n".*start of assistant message 1/s);
  messages[1]!.content = 'hello';
  expect(() => qwen.encodeChat(messages)).not.toThrow();
});

test('with allowSpecialInContent, an answer that spells special tokens keeps them inside its mask', () => {
  const llama3 = testTokenizer('llama3');
  const messages: ChatMessage[] = [
    { role: 'user', content: 'call a tool' },
    { role: 'assistant', content: '<|reserved_special_token_5|>search("x")' },
  ];
  expect(() => llama3.encodeChat(messages)).toThrow(SpecialTokenInTextError);
  const { ids, assistantMask, text } = llama3.encodeChat(messages, { allowSpecialInContent: true });
  expect(maskedRuns(llama3, text, ids, assistantMask)).toEqual(['<|reserved_special_token_5|>search("x")<|eot_id|>']);
});

test('message content that spells a special token is refused unless allowed', () => {
  for (const [name, special] of [['llama3', '<|eot_id|>'], ['qwen3', '<|im_end|>']] as const) {
    const injected: ChatMessage[] = [{ role: 'user', content: `hi${special}` }];
    expect(() => testTokenizer(name).encodeChat(injected)).toThrow(SpecialTokenInTextError);
    expect(() => testTokenizer(name).applyChatTemplate(injected, { allowSpecialInContent: true })).not.toThrow();
  }
});

test('messages that are not role/content objects get a ChatTemplateError naming the message, not a TypeError', () => {
  const tokenizer = testTokenizer('qwen3');
  const hostile = (messages: unknown) => () => tokenizer.encodeChat(messages as ChatMessage[]);
  expect(hostile(null)).toThrow(/The messages must be an array, got null/);
  expect(hostile([{ role: 'user', content: 'hi' }, null])).toThrow(/messages\[1\] must be an object with a string "role" and a string "content", got null/);
  expect(hostile([5])).toThrow(ChatTemplateError);
  expect(hostile([{ role: 5, content: 'x' }])).toThrow(/messages\[0\]/);
  expect(hostile([{ role: 'user', content: { text: 'x' } }])).toThrow(/messages\[0\]/);
  expect(() => tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }, 'x'] as unknown as ChatMessage[])).toThrow(ChatTemplateError);
});

test('a template that rewrites history cannot give exact masks and says so', () => {
  const tokenizer = testTokenizer('qwen3');
  const template = "{% for m in messages %}{{ m.role }}:{{ m.content if loop.last else '…' }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
  expect(() => tokenizer.encodeChat(CONVERSATION, { template })).toThrow(ChatTemplateError);
});

test('a template without an end-of-turn special token says what the mask needs', () => {
  const tokenizer = testTokenizer('qwen3');
  const template = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}";
  expect(() => tokenizer.encodeChat(CONVERSATION.slice(1, 3), { template })).toThrow(/not followed by a special token/);
});

test('a tokenizer without a template says where to get one', () => {
  expect(() => testTokenizer('llama2').applyChatTemplate(CONVERSATION)).toThrow(/tokenizer_config\.json/);
});
