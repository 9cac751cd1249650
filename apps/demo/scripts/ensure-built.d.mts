/** Builds @cria/kernels when missing or stale, always rebuilds the demo; resolves to apps/demo/dist. */
export function ensureBuilt(options?: { log?: (line: string) => void }): Promise<string>;
