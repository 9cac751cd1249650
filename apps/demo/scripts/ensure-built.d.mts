/** Builds @cria/kernels, @cria/tokenizer and @cria/runtime when missing or stale, always rebuilds the demo, writes the default chat model; resolves to apps/demo/dist. */
export function ensureBuilt(options?: { log?: (line: string) => void }): Promise<string>;
/** The default chat model's folder inside dist/ (HF form under hf/, a Q8_0 GGUF beside it). */
export const DEFAULT_MODEL_DIRECTORY: string;
