/**
 * The Train tab's prefilled dataset: a few short chats the built-in tiny model (2 layers, 64 wide,
 * a byte-level vocabulary) memorises in a few dozen steps, so that chatting with the result after
 * training answers "hi" with "Hello from Cria!" instead of gibberish.
 */
const PAIRS: Array<[string, string]> = [
  ['hi', 'Hello from Cria!'],
  ['What are you?', 'A tiny llama.'],
  ['2+2?', 'four'],
  ['Favourite colour?', 'blue'],
];

export const EXAMPLE_DATASET = PAIRS.map(([user, assistant]) =>
  JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }] }),
).join('\n');
