import type { BrowserModelSource, NamedBlob } from '@cria/runtime';

/**
 * Where the Chat tab's model comes from: the built-in default (a tiny random-weight Llama the demo
 * server generates at start, in Hugging Face and GGUF form), a URL, local files, or the model the
 * Train tab just fine-tuned (its exported files, in memory).
 */
export type ModelChoice = 'default-hf' | 'default-gguf' | 'url' | 'files' | 'trained';

/** dist/models/tiny-llama, written by scripts/ensure-built.mjs. */
export const DEFAULT_MODEL = 'models/tiny-llama/';

export interface ModelForm {
  choice: ModelChoice;
  url: string;
  sha256: string;
  files: File[];
  /** The Train tab's last result (a Hugging Face folder as Blobs). */
  trained?: NamedBlob[];
}

/** The BrowserModelSource for the form, or a message saying what is missing. */
export function modelSource(form: ModelForm): BrowserModelSource | string {
  if (form.choice === 'default-hf') return { url: new URL(`${DEFAULT_MODEL}hf/`, location.href).href, cache: false };
  if (form.choice === 'default-gguf') return { url: new URL(`${DEFAULT_MODEL}model-q8_0.gguf`, location.href).href, cache: false };
  if (form.choice === 'url') {
    const url = form.url.trim();
    if (!/^https?:\/\//i.test(url)) return 'Enter the URL of a Hugging Face model folder (with config.json) or of a .gguf file';
    const sha256 = form.sha256.trim().toLowerCase();
    if (sha256 && !/^[0-9a-f]{64}$/.test(sha256)) return 'SHA-256 must be 64 hex digits (or empty)';
    return { url, ...(sha256 ? { sha256 } : {}) };
  }
  if (form.choice === 'trained') return form.trained?.length ? { files: form.trained } : 'Fine-tune a model in the Train tab first';
  if (form.files.length === 0) return 'Pick a model folder (config.json, *.safetensors, tokenizer files) or a .gguf file, or drop them here';
  return { files: form.files };
}

/** A short name for the model being loaded. */
export function sourceLabel(source: BrowserModelSource): string {
  if ('url' in source) return source.url.replace(location.origin, '');
  if (source.files.some((file) => 'blob' in file && file.name === 'model.safetensors' && !file.path)) return 'the fine-tuned model (in memory)';
  const gguf = source.files.find((file) => file.name.toLowerCase().endsWith('.gguf'));
  return gguf ? gguf.name : `${source.files.length} local file(s)`;
}

/** Files from a drop: folders are walked (webkitGetAsEntry), so dropping a model folder works. */
export async function droppedFiles(transfer: DataTransfer): Promise<File[]> {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry?.()).filter((entry): entry is FileSystemEntry => !!entry);
  if (entries.length === 0) return [...transfer.files];
  const files: File[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      files.push(await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject)));
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns the entries in batches; an empty batch ends the folder.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  return files;
}
