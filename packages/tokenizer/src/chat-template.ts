import { Template } from '@huggingface/jinja';
import { AssistantMaskError, ChatTemplateError, SpecialTokenInTextError } from './errors.js';
import { escapeRegExp } from './text/pattern.js';
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
  checkMessages(messages);
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
 * 1. The ids are `encodeWithOffsets(rendered)`: the one tokenization of the whole rendering, the
 *    same ids `encode(rendered, { allowedSpecial: 'all', addSpecialTokens: false })` gives.
 * 2. Assistant turn i starts where `render(messages[0..i], addGenerationPrompt)` ends: the text
 *    the model is prompted with at inference. The full rendering must start with it, else the
 *    template rewrites history and no mask can be exact (a `ChatTemplateError` says which turn).
 * 3. The turn ends after its end-of-turn token (`<|eot_id|>`, `<|im_end|>`): the first special
 *    token after the answer's own ones (contents may spell special tokens only when allowed).
 * 4. A token is trainable when its characters lie inside a turn, with its end-of-turn token. A
 *    token with characters on both sides of a boundary (the template's "\n" merged with an answer
 *    that starts with "\n") throws `AssistantMaskError` naming it: never a silently shifted mask.
 */
export function encodeChat(tokenizer: Tokenizer, messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): EncodedChat {
  const text = renderChat(tokenizer, messages, options);
  const turns = assistantTurns(tokenizer, messages, options, text);
  const { ids, offsets } = tokenizer.encodeWithOffsets(text, { allowedSpecial: 'all', addSpecialTokens: false });
  const assistantMask = new Array<number>(ids.length).fill(0);
  let turn = 0;
  for (let index = 0; index < ids.length; index++) {
    const [start, end] = offsets[index]!;
    while (turn < turns.length && start >= turns[turn]!.end) turn++;
    const current = turns[turn];
    if (current === undefined || end <= current.start) continue; // outside every turn
    if (start >= current.start && end <= current.end) {
      assistantMask[index] = 1;
      continue;
    }
    // The end-of-turn token itself may have swallowed whitespace around it (lstrip / rstrip).
    if (ids[index] === current.endOfTurnId && start <= current.endOfTurnAt && end >= current.end && start >= current.start) {
      assistantMask[index] = 1;
      continue;
    }
    const side = start < current.start ? 'start' : 'end';
    throw new AssistantMaskError(current.messageIndex, index, ids[index]!, [start, end], side === 'start' ? current.start : current.end, text.slice(start, end), side);
  }
  return { ids, assistantMask, text };
}

interface AssistantTurn {
  messageIndex: number;
  /** [start, end) in the rendered text: the answer through its end-of-turn token. */
  start: number;
  end: number;
  endOfTurnAt: number;
  endOfTurnId: number;
}

function assistantTurns(tokenizer: Tokenizer, messages: readonly ChatMessage[], options: ChatTemplateOptions, text: string): AssistantTurn[] {
  const specials = tokenizer.specialTokens;
  const turns: AssistantTurn[] = [];
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
    // Special tokens the answer itself spells (allowed only with allowSpecialInContent) come first.
    let skip = typeof message.content === 'string' ? findSpecials(message.content, specials, 0, Infinity).length : 0;
    for (const found of findSpecials(text, specials, start, skip + 1)) {
      if (skip-- > 0) continue;
      turns.push({ messageIndex: index, start, end: found.at + found.token.length, endOfTurnAt: found.at, endOfTurnId: specials.get(found.token)! });
      return;
    }
    throw new ChatTemplateError(
      `Assistant message ${index} is not followed by a special token in the rendered conversation`,
      'The mask covers each answer through its end-of-turn token (<|eot_id|>, <|im_end|>, </s>); check that the template ends assistant turns with one and that it is a special token of this tokenizer',
    );
  });
  return turns;
}

const specialPatterns = new WeakMap<ReadonlyMap<string, number>, RegExp>();

/** Special-token occurrences in text from `from` on, leftmost-longest, at most `limit` of them. */
function findSpecials(text: string, specials: ReadonlyMap<string, number>, from: number, limit: number): Array<{ at: number; token: string }> {
  let pattern = specialPatterns.get(specials);
  if (pattern === undefined) {
    const contents = [...specials.keys()].filter((token) => token.length > 0).sort((a, b) => b.length - a.length);
    pattern = contents.length === 0 ? /(?!)/g : new RegExp(contents.map(escapeRegExp).join('|'), 'gu');
    specialPatterns.set(specials, pattern);
  }
  const found: Array<{ at: number; token: string }> = [];
  pattern.lastIndex = from;
  let match: RegExpExecArray | null;
  while (found.length < limit && (match = pattern.exec(text)) !== null) found.push({ at: match.index, token: match[0] });
  return found;
}

/**
 * The shape every chat template reads: an array of objects with a string role. Content is text,
 * or what templates also accept (null beside tool calls, an array of content parts); anything else
 * would render as "[object Object]" or fail inside the template with no word of which message.
 */
function checkMessages(messages: unknown): void {
  if (!Array.isArray(messages)) throw new ChatTemplateError(`The messages must be an array, got ${describeValue(messages)}`, 'Pass [{ role, content }, ...]');
  messages.forEach((message: unknown, index) => {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    const contentOk = typeof content === 'string' || content === null || content === undefined || Array.isArray(content);
    if (typeof message !== 'object' || message === null || Array.isArray(message) || typeof role !== 'string' || !contentOk) {
      throw new ChatTemplateError(
        `messages[${index}] must be an object with a string "role" and a string "content", got ${describeValue(message)}`,
        'Pass [{ role: "system" | "user" | "assistant", content: "..." }, ...]',
      );
    }
  });
}

const describeValue = (value: unknown) => JSON.stringify(value)?.slice(0, 60) ?? String(value);

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
