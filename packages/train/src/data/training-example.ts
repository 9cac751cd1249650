import type { ChatMessage, Tokenizer } from '@cria/tokenizer';
import { TrainingInputError } from '../errors.js';

/** One line of a training JSONL: a prompt/completion pair, or a chat whose assistant turns are learned. */
export type TrainingExample = { prompt: string; completion: string } | { messages: ChatMessage[] };

/** A tokenized example: `lossMask[i]` = 1 where token i is one the model should learn to produce. */
export interface TokenizedExample {
  ids: number[];
  lossMask: number[];
}

/** Parses JSONL (one JSON object per non-empty line), naming the line of any malformed record. */
export function parseTrainingJsonl(text: string, file = 'data.jsonl'): TrainingExample[] {
  const examples: TrainingExample[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${file}:${index + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new TrainingInputError(where, 'one JSON object per line', line.slice(0, 60), 'JSONL puts each record on its own line; escape newlines inside strings as \\n');
    }
    const value = record as Record<string, unknown>;
    if (typeof value?.['prompt'] === 'string' && typeof value['completion'] === 'string') {
      examples.push({ prompt: value['prompt'], completion: value['completion'] });
    } else if (Array.isArray(value?.['messages'])) {
      examples.push({ messages: chatMessages(value['messages'], where) });
    } else {
      throw new TrainingInputError(where, '{"prompt", "completion"} strings or a "messages" array', line.slice(0, 60), 'use the prompt-completion or the conversational format of TRL datasets');
    }
  });
  return examples;
}

/** The messages of a conversational record, each checked: a role and a text content (what chat templates read). */
function chatMessages(messages: unknown[], where: string): ChatMessage[] {
  if (messages.length === 0) throw new TrainingInputError(where, 'at least one message', 'an empty "messages" array', 'drop the line, or give it the conversation to learn');
  return messages.map((message, index) => {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    if (typeof message !== 'object' || message === null || Array.isArray(message) || typeof role !== 'string' || role === '' || typeof content !== 'string') {
      throw new TrainingInputError(
        `${where} messages[${index}]`,
        'an object with a "role" string and a "content" string',
        JSON.stringify(message)?.slice(0, 60) ?? String(message),
        'each message is {"role": "system" | "user" | "assistant", "content": "..."}, as in TRL\'s conversational format',
      );
    }
    return { ...(message as object), role, content } as ChatMessage;
  });
}

/**
 * Token ids and loss mask of one example (completion-only training, as TRL's SFTTrainer does):
 * chats go through the tokenizer's chat template, learning only the assistant turns (through their
 * end-of-turn token); prompt/completion pairs learn the completion and the end-of-sequence token.
 */
export function tokenizeExample(tokenizer: Tokenizer, example: TrainingExample): TokenizedExample {
  if ('messages' in example) {
    const { ids, assistantMask } = tokenizer.encodeChat(example.messages);
    return { ids, lossMask: assistantMask };
  }
  const prompt = tokenizer.encode(example.prompt);
  const completion = tokenizer.encode(example.completion, { addSpecialTokens: false });
  const eos = tokenizer.eosTokenId;
  const ids = [...prompt, ...completion, ...(eos === undefined ? [] : [eos])];
  return { ids, lossMask: ids.map((_, index) => (index < prompt.length ? 0 : 1)) };
}
