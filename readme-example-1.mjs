import { writeFileSync } from "node:fs";
import { trainByteLevelBpe } from "@cria/tokenizer";
import { generateCorpus } from "@cria/tokenizer/corpus";
const texts = generateCorpus({ bytes: 1e6 });
const trained = trainByteLevelBpe(texts, {
  vocabSize: 4096,
  // special tokens and the 256 byte tokens included
  specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
  eosToken: "<|im_end|>",
  pattern: "llama3"
  // or 'qwen2' (one digit per token), 'gpt2'
});
writeFileSync("tokenizer.json", JSON.stringify(trained.tokenizerJson));
writeFileSync("tokenizer_config.json", JSON.stringify(trained.tokenizerConfig));
const tokenizer = trained.load();
console.log(trained.vocabSize, tokenizer.encode("Hello, world!"));
