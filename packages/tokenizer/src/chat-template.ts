import { Template } from '@huggingface/jinja';
import { ChatTemplateError, SpecialTokenInTextError } from './errors.js';
import type { Tokenizer } from './tokenizer.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | (string & {});
  content: string;
  [key: string]: unknown;
}

export interface ChatTemplateOptions {
  /** End with the assistant header so the model writes the next turn. Default false. */
  addGenerationPrompt?: boolean;
  /** Which of tokenizer_config.json's templates (`default` unless it has named ones such as `tool_use`). */
  templateName?: string;
  /** A template string to use instead of the tokenizer's. */
  template?: string;
  tools?: unknown[];
  /** Extra variables for the template, e.g. `{ enable_thinking: false }` for Qwen 3. */
  variables?: Record<string, unknown>;
  /**
   * Message contents that spell a special token (`<|im_end|>`) are refused by default: once
   * rendered they would be indistinguishable from the template's own control tokens. Set true
   * only for trusted conversations.
   */
  allowSpecialInContent?: boolean;
}

export interface EncodedChat {
  ids: number[];
  /** 1 for the tokens the assistant wrote (each assistant turn through its end-of-turn token), else 0. */
  assistantMask: number[];
  /** The rendered prompt. */
  text: string;
}

const templateCache = new Map<string, Template>();

/** Renders messages with the tokenizer's Jinja chat template (via @huggingface/jinja). */
export function renderChat(tokenizer: Tokenizer, messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
  const source = options.template ?? tokenizer.config.chatTemplates.get(options.templateName ?? 'default') ?? tokenizer.config.chatTemplates.values().next().value;
  if (source === undefined) {
    throw new ChatTemplateError(
      'This tokenizer has no chat template',
      'Load it with its tokenizer_config.json (which holds `chat_template`), or pass { template } explicitly',
    );
  }
  if (options.allowSpecialInContent !== true) refuseSpecialTokens(tokenizer, messages);
  let template = templateCache.get(source);
  if (!template) {
    template = new Template(source);
    templateCache.set(source, template);
  }
  try {
    return template.render({
      ...options.variables,
      messages,
      add_generation_prompt: options.addGenerationPrompt === true,
      bos_token: tokenizer.config.bosToken ?? '',
      eos_token: tokenizer.config.eosToken ?? '',
      ...(options.tools ? { tools: options.tools } : {}),
    });
  } catch (error) {
    throw new ChatTemplateError(`The chat template failed to render: ${(error as Error).message}`, 'Check the message roles and fields the template expects (see its `raise_exception` calls)');
  }
}

/**
 * Renders and tokenizes a conversation for training, with a mask of the assistant's tokens that
 * is exact by construction:
 * 1. Assistant turn i starts where `render(messages[0..i], addGenerationPrompt)` ends: the text
 *    the model is prompted with at inference. The full rendering must start with it, else the
 *    template rewrites history and no mask can be exact (a `ChatTemplateError` says which turn).
 * 2. The turn ends after the first special token that follows (its end-of-turn token:
 *    `<|eot_id|>`, `<|im_end|>`), which the model must learn to emit. Contents cannot contain
 *    special tokens (refused above), so that token is the template's.
 * 3. Each span is tokenized on its own, so span edges are token edges: no token straddles a
 *    prompt/answer boundary and the mask needs no offset arithmetic.
 */
export function encodeChat(tokenizer: Tokenizer, messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): EncodedChat {
  const text = renderChat(tokenizer, messages, options);
  const specials = [...tokenizer.specialTokens.keys()];
  const boundaries: Array<[start: number, end: number]> = [];
  messages.forEach((message, index) => {
    if (message.role !== 'assistant') return;
    const prompt = renderChat(tokenizer, messages.slice(0, index), { ...options, addGenerationPrompt: true, allowSpecialInContent: true });
    if (!text.startsWith(prompt)) {
      throw new ChatTemplateError(
        `The chat template renders the conversation before assistant message ${index} differently from its generation prompt`,
        'The template rewrites earlier turns, so the prompt seen at inference is not a prefix of the training text; mask this conversation turn by turn (one example per assistant message)',
      );
    }
    const start = prompt.length;
    let end = text.length;
    for (const special of specials) {
      const at = text.indexOf(special, start);
      if (at >= 0 && at + special.length < end) end = at + special.length;
    }
    boundaries.push([start, end]);
  });
  const ids: number[] = [];
  const assistantMask: number[] = [];
  const append = (from: number, to: number, mask: number) => {
    if (to <= from) return;
    for (const id of tokenizer.encode(text.slice(from, to), { allowedSpecial: 'all', addSpecialTokens: false })) {
      ids.push(id);
      assistantMask.push(mask);
    }
  };
  let position = 0;
  for (const [start, end] of boundaries) {
    append(position, start, 0);
    append(start, end, 1);
    position = end;
  }
  append(position, text.length, 0);
  return { ids, assistantMask, text };
}

function refuseSpecialTokens(tokenizer: Tokenizer, messages: readonly ChatMessage[]): void {
  const specials = [...tokenizer.specialTokens.keys()];
  for (const message of messages) {
    if (typeof message.content !== 'string') continue;
    for (const special of specials) {
      const at = message.content.indexOf(special);
      if (at >= 0) throw new SpecialTokenInTextError(special, at);
    }
  }
}
