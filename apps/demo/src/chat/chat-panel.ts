import { createWorkerEngine, type BrowserModelSource, type ChatMessage, type KvCacheType, type NamedBlob, type WorkerEngine } from '@cria/runtime';
import type { BackendChoice } from '@cria/kernels';
import { byId, element, facts } from '../dom.js';
import { droppedFiles, modelSource, sourceLabel, type ModelChoice } from './model-choice.js';

/**
 * The Chat tab: load a model into an engine that runs in a Web Worker (createWorkerEngine), then
 * stream a conversation. Progress and results are mirrored in data-state attributes on #chat for
 * the e2e test: loading → ready → generating → ready (or error).
 */
const WORKER_URL = new URL('./engine-worker.js', import.meta.url);

let engine: WorkerEngine | undefined;
let loading: AbortController | undefined;
let generating: AbortController | undefined;
let pickedFiles: File[] = [];
let trainedFiles: NamedBlob[] | undefined;
const history: ChatMessage[] = [];

const section = () => byId('chat');
const setState = (state: string) => (section().dataset.state = state);

function setStatus(text: string, tone?: 'pass' | 'fail'): void {
  const node = byId('chat-status');
  node.textContent = text;
  node.className = `summary${tone ? ` ${tone}` : ''}`;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`;

async function load(): Promise<void> {
  const source = modelSource({
    choice: byId<HTMLSelectElement>('model-choice').value as ModelChoice,
    url: byId<HTMLInputElement>('model-url').value,
    sha256: byId<HTMLInputElement>('model-sha256').value,
    files: pickedFiles,
    trained: trainedFiles,
  });
  if (typeof source === 'string') return setStatus(source, 'fail');
  // Before the first await, so that whoever clicked sees 'loading' at once (the e2e test waits on it).
  setState('loading');
  await unload();
  loading = new AbortController();
  setLoadingControls(true);
  const progressBar = byId<HTMLProgressElement>('load-progress');
  const started = performance.now();
  setStatus(`Loading ${sourceLabel(source)} in a worker…`);
  try {
    engine = await createWorkerEngine(WORKER_URL, {
      model: source as BrowserModelSource,
      backend: byId<HTMLSelectElement>('chat-backend').value as BackendChoice,
      // Empty: the engine's default, min(the model's maximum, 4096).
      contextLength: byId<HTMLInputElement>('chat-context').value ? byId<HTMLInputElement>('chat-context').valueAsNumber : undefined,
      kvCacheType: (byId<HTMLSelectElement>('chat-kv-cache-type').value || undefined) as KvCacheType | undefined,
      signal: loading.signal,
      onProgress: ({ phase, loadedBytes, totalBytes }) => {
        progressBar.max = Math.max(totalBytes, 1);
        progressBar.value = loadedBytes;
        byId('load-progress-text').textContent = `${phase} ${megabytes(loadedBytes)} / ${megabytes(totalBytes)}`;
      },
    });
    showModel(engine, (performance.now() - started) / 1000);
    setStatus(`Loaded in ${((performance.now() - started) / 1000).toFixed(1)} s. Say something.`, 'pass');
    setState('ready');
  } catch (error) {
    setStatus(`Loading failed: ${(error as Error).name}: ${(error as Error).message}`, 'fail');
    setState('error');
  } finally {
    loading = undefined;
    setLoadingControls(false);
  }
}

async function unload(): Promise<void> {
  generating?.abort();
  const previous = engine;
  engine = undefined;
  history.length = 0;
  byId('chat-log').replaceChildren();
  byId('chat-stats').textContent = '';
  byId('model-info').replaceChildren();
  await previous?.dispose().catch(() => {});
}

function showModel(loaded: WorkerEngine, seconds: number): void {
  const { model } = loaded;
  byId('model-info').replaceChildren(
    facts([
      ['model', model.id],
      ['architecture', model.architecture],
      ['parameters', model.parameters.toLocaleString('en')],
      ['context', `${model.contextLength} tokens`],
      ['KV cache', element('span', { 'data-testid': 'chat-kv-cache' }, `${model.kvCacheType}, ${(model.kvCacheBytes / 2 ** 20).toFixed(1)} MiB`)],
      ['backend', element('span', { 'data-testid': 'chat-backend' }, model.backend)],
      ['why', element('span', { 'data-testid': 'chat-backend-reason' }, model.backendReason)],
      ['runs in', element('span', { 'data-testid': 'chat-engine-location' }, 'a Web Worker')],
      ['load time', `${seconds.toFixed(1)} s`],
    ]),
  );
}

function setLoadingControls(busy: boolean): void {
  byId<HTMLButtonElement>('load-button').disabled = busy;
  byId<HTMLButtonElement>('cancel-load-button').hidden = !busy;
  byId<HTMLButtonElement>('send-button').disabled = busy || !engine;
}

function bubble(role: 'user' | 'assistant', text: string): HTMLElement {
  const node = element('div', { class: `message ${role}`, 'data-role': role }, text);
  byId('chat-log').append(node);
  node.scrollIntoView({ block: 'end' });
  return node;
}

async function send(): Promise<void> {
  const input = byId<HTMLTextAreaElement>('chat-input');
  const content = input.value.trim();
  if (!engine || generating || !content) return;
  input.value = '';
  history.push({ role: 'user', content });
  bubble('user', content);
  const reply = bubble('assistant', '');
  generating = new AbortController();
  setState('generating');
  byId<HTMLButtonElement>('send-button').disabled = true;
  byId<HTMLButtonElement>('stop-button').hidden = false;
  let text = '';
  try {
    const stream = await engine.chat.completions.create({
      messages: history,
      stream: true,
      max_tokens: Math.max(1, Number(byId<HTMLInputElement>('max-tokens').value) || 32),
      temperature: Math.max(0, Number(byId<HTMLInputElement>('temperature').value) || 0),
      signal: generating.signal,
    });
    for await (const chunk of stream) {
      text += chunk.choices[0].delta.content ?? '';
      reply.textContent = text;
      if (chunk.usage) {
        const usage = chunk.usage;
        const stats = byId('chat-stats');
        stats.dataset.tokensPerSecond = String(usage.decode_tokens_per_second);
        stats.textContent =
          `${usage.completion_tokens} tokens · decode ${usage.decode_tokens_per_second.toFixed(1)} tokens/s · ` +
          `prefill ${usage.prefill_tokens} tokens at ${usage.prefill_tokens_per_second.toFixed(1)} tokens/s · ${chunk.choices[0].finish_reason}`;
      }
    }
    history.push({ role: 'assistant', content: text });
    setState('ready');
  } catch (error) {
    history.pop();
    setStatus(`Generation failed: ${(error as Error).name}: ${(error as Error).message}`, 'fail');
    setState('error');
  } finally {
    generating = undefined;
    byId<HTMLButtonElement>('send-button').disabled = !engine;
    byId<HTMLButtonElement>('stop-button').hidden = true;
  }
}

function setupFiles(): void {
  const choose = (files: File[]) => {
    pickedFiles = files;
    const choice = byId<HTMLSelectElement>('model-choice');
    choice.value = 'files';
    choice.dispatchEvent(new Event('change')); // shows the files row, hides the URL row
    byId('picked-files').textContent = files.length ? `${files.length} file(s): ${files.map((file) => file.name).slice(0, 6).join(', ')}` : '';
  };
  for (const id of ['model-files', 'model-folder']) {
    const input = byId<HTMLInputElement>(id);
    input.addEventListener('change', () => choose([...(input.files ?? [])]));
  }
  const zone = byId('model-drop');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    if (event.dataTransfer) void droppedFiles(event.dataTransfer).then(choose);
  });
}

/**
 * Hands a fine-tuned model (the Train tab's export, a Hugging Face folder as Blobs) to the chat:
 * selects it, switches to the Chat tab and loads it on `backend`.
 */
export async function chatWithTrainedModel(files: NamedBlob[], backend: string): Promise<void> {
  trainedFiles = files;
  const choice = byId<HTMLSelectElement>('model-choice');
  byId<HTMLOptionElement>('model-choice-trained').disabled = false;
  choice.value = 'trained';
  choice.dispatchEvent(new Event('change'));
  const backendSelect = byId<HTMLSelectElement>('chat-backend');
  if ([...backendSelect.options].some((option) => option.value === backend)) backendSelect.value = backend;
  byId('tab-chat').click();
  await load();
}

export function setupChat(): void {
  setupFiles();
  const choice = byId<HTMLSelectElement>('model-choice');
  const showInputs = () => {
    byId('model-url-row').hidden = choice.value !== 'url';
    byId('model-files-row').hidden = choice.value !== 'files';
  };
  choice.addEventListener('change', showInputs);
  showInputs();
  byId('load-button').addEventListener('click', () => void load());
  byId('cancel-load-button').addEventListener('click', () => loading?.abort());
  byId('send-button').addEventListener('click', () => void send());
  byId('stop-button').addEventListener('click', () => generating?.abort());
  byId('chat-input').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void send();
    }
  });
  section().dataset.engine = 'worker';
  setState('idle');
}
