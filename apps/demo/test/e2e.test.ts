import { OP_NAMES } from '@cria/kernels';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIRECTORY, ensureBuilt } from '../scripts/ensure-built.mjs';
import { startStaticServer, type StaticServer } from '../scripts/static-server.mjs';

/**
 * The demo end to end: the real server, Debian's Chromium headless (WebGPU on SwiftShader, the
 * CPU), the real page. Every backend must start and every op must pass on every backend: a missing
 * WebGPU adapter or a non-isolated page fails the test rather than skipping it.
 */
const CHROMIUM = process.env.CRIA_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu', // WebGPU without a GPU allowlist (headless has none)
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--no-sandbox', // CI runs as root in a container
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--headless=new',
];
/** A few cases per op per backend: a fresh seed each run covers the shapes over time, each run stays ~20 s. */
const CASES_PER_OP = Number(process.env.CRIA_DEMO_CASES_PER_OP ?? 3);
/** Same variable as the kernels' harness: pins the page's seed to replay a failure. */
const SEED = process.env.CRIA_TEST_SEED;
const REQUIRED_BACKENDS = ['reference', 'wasm', 'wasm-threads', 'webgpu'];
const SCREENSHOT = '/tmp/cria-demo-e2e.png';

const GGUF_FILE = 'model-q8_0.gguf';
let ggufBytes: Buffer;
/** The built-in model's Hugging Face folder on disk (dist/models/tiny-llama/hf), as the generator writes it. */
let hfDirectory: string;
/** What the loader needs from a Hugging Face folder (generation_config.json is optional). */
const HF_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];
/** Requests under /flaky/ (the Range header each carried); the first full download of each path is cut mid-body. */
const flakyRequests: Array<{ path: string; range: string | undefined }> = [];
const cutPaths = new Set<string>();

function cutFirstDownload(request: IncomingMessage, response: ServerResponse): boolean {
  if (!request.url?.startsWith('/flaky/')) return false;
  const path = request.url.slice('/flaky'.length);
  flakyRequests.push({ path, range: request.headers.range });
  if (request.headers.range || cutPaths.has(path) || !path.endsWith('.gguf')) {
    request.url = path; // served normally, ranges included
    return false;
  }
  cutPaths.add(path);
  // Announce the whole file, send the first 40 %, then drop the connection.
  response.writeHead(200, { 'Content-Length': ggufBytes.byteLength, 'Content-Type': 'application/octet-stream', 'Cross-Origin-Resource-Policy': 'same-origin' });
  response.write(ggufBytes.subarray(0, Math.floor(ggufBytes.byteLength * 0.4)), () => setTimeout(() => response.socket?.destroy(), 50));
  return true;
}

describe('demo page in headless Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CRIA_CHROMIUM to a Chromium binary)`);
    const root = await ensureBuilt({ log: () => {} });
    ggufBytes = readFileSync(join(root, DEFAULT_MODEL_DIRECTORY, GGUF_FILE));
    hfDirectory = join(root, DEFAULT_MODEL_DIRECTORY, 'hf');
    server = await startStaticServer({ root, port: 0, intercept: cutFirstDownload });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1180, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`${server.url}?cases=${CASES_PER_OP}&bench=quick${SEED ? `&seed=${SEED}` : ''}`);
  });

  afterAll(async () => {
    if (page) await page.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('shows a WebGPU adapter, cross-origin isolation and every backend ready', async () => {
    await page.waitForSelector('#environment[data-state="ready"], #environment[data-state="error"]', { timeout: 60_000 });
    expect(await page.getAttribute('#environment', 'data-state')).toBe('ready');

    const reasons = await page.locator('[data-testid="webgpu-reason"]').allTextContents();
    expect(reasons, 'the page should find a WebGPU adapter').toEqual([]);
    const adapter = (await page.locator('[data-testid="webgpu-adapter"]').textContent())?.trim();
    console.log(`[demo e2e] WebGPU adapter: ${adapter}`);
    expect(adapter).toBeTruthy();

    expect(await page.locator('[data-testid="cross-origin-isolated"]').textContent()).toBe('true');

    for (const id of REQUIRED_BACKENDS) {
      const row = page.locator(`[data-testid="backend-${id}"]`);
      const detail = await row.locator('td.detail').textContent();
      console.log(`[demo e2e] ${id}: ${detail}`);
      expect(await row.getAttribute('data-status'), `${id}: ${detail}`).toBe('ready');
    }
  });

  it(`passes every op on every backend (${CASES_PER_OP} random cases per op)`, async () => {
    await page.click('#check-button');
    await page.waitForSelector('#check[data-state="done"], #check[data-state="error"]', { timeout: 180_000 });
    console.log(`[demo e2e] ${await page.locator('#check-summary').textContent()}`);
    expect(await page.getAttribute('#check', 'data-state')).toBe('done');

    const cells = await page.$$eval('td.result', (nodes) =>
      nodes.map((node) => ({
        backend: node.getAttribute('data-backend'),
        op: node.getAttribute('data-op'),
        status: node.getAttribute('data-status'),
        detail: node.getAttribute('title'),
      })),
    );
    const failures = cells.filter((cell) => cell.status !== 'pass').map((cell) => `${cell.backend} ${cell.op}: ${cell.status} — ${cell.detail}`);
    expect(failures).toEqual([]);
    const ops = new Set(cells.map((cell) => cell.op));
    expect(ops.size).toBe(OP_NAMES.length);
    expect(new Set(cells.map((cell) => cell.backend))).toEqual(new Set(REQUIRED_BACKENDS));
    expect(cells.length).toBe(ops.size * REQUIRED_BACKENDS.length);
  });

  it('benchmarks matmul on every backend and draws the chart', async () => {
    await page.click('#benchmark-button');
    await page.waitForSelector('#benchmark[data-state="done"], #benchmark[data-state="error"]', { timeout: 180_000 });
    expect(await page.getAttribute('#benchmark', 'data-state')).toBe('done');

    const results = await page.$$eval('#benchmark-table td[data-backend]', (nodes) =>
      nodes.map((node) => ({
        backend: node.getAttribute('data-backend'),
        shape: node.getAttribute('data-shape'),
        status: node.getAttribute('data-status'),
        gflops: Number(node.getAttribute('data-gflops')),
        detail: node.getAttribute('title'),
      })),
    );
    for (const result of results) console.log(`[demo e2e] ${result.shape} ${result.backend}: ${result.gflops.toFixed(3)} GFLOP/s`);
    expect(results.filter((result) => result.status !== 'done' || !(result.gflops > 0))).toEqual([]);
    expect(new Set(results.map((result) => result.backend))).toEqual(new Set(REQUIRED_BACKENDS));
    expect(await page.locator('#benchmark-chart svg rect').count()).toBeGreaterThanOrEqual(results.length);
  });

  /** Loads a model in the Chat tab; resolves to the backend the engine reports. */
  /** Loads a model through the chat panel; context and KV cache type stay the engine's defaults unless given. */
  async function loadModel(options: { choice: string; backend: string; url?: string; sha256?: string; context?: string; kvCacheType?: string }): Promise<string> {
    await page.click('#tab-chat');
    await page.selectOption('#model-choice', options.choice);
    await page.selectOption('#chat-backend', options.backend);
    await page.fill('#chat-context', options.context ?? '');
    await page.selectOption('#chat-kv-cache-type', options.kvCacheType ?? '');
    if (options.url !== undefined) await page.fill('#model-url', options.url);
    // The URL row (URL, SHA-256) is only shown for the URL choice.
    if (options.choice === 'url') await page.fill('#model-sha256', options.sha256 ?? '');
    await page.click('#load-button');
    await page.waitForSelector('#chat[data-state="ready"], #chat[data-state="error"]', { timeout: 90_000 });
    if ((await page.getAttribute('#chat', 'data-state')) !== 'ready') return '';
    return (await page.locator('[data-testid="chat-backend"]').textContent()) ?? '';
  }

  async function chat(message: string): Promise<{ text: string; tokensPerSecond: number; stats: string }> {
    await page.fill('#max-tokens', '12');
    await page.fill('#temperature', '0');
    await page.fill('#chat-input', message);
    const replies = await page.locator('.message.assistant').count();
    // The click handler sets data-state="generating" before its first await, so this waits for the reply.
    await page.click('#send-button');
    await page.waitForSelector('#chat[data-state="ready"], #chat[data-state="error"]', { timeout: 90_000 });
    expect(await page.getAttribute('#chat', 'data-state'), await page.locator('#chat-status').textContent() ?? '').toBe('ready');
    const text = (await page.locator('.message.assistant').nth(replies).textContent()) ?? '';
    const stats = (await page.locator('#chat-stats').textContent()) ?? '';
    return { text, tokensPerSecond: Number(await page.getAttribute('#chat-stats', 'data-tokens-per-second')), stats };
  }

  for (const backend of ['wasm', 'webgpu']) {
    it(`chats with the built-in model in a Web Worker on ${backend}`, async () => {
      const chosen = await loadModel({ choice: 'default-hf', backend });
      expect(await page.getAttribute('#chat', 'data-state'), await page.locator('#chat-status').textContent() ?? '').toBe('ready');
      console.log(`[demo e2e] chat backend: ${chosen}`);
      expect(chosen.toLowerCase()).toContain(backend === 'webgpu' ? 'webgpu' : 'wasm');
      expect(await page.locator('[data-testid="chat-backend-reason"]').textContent()).toBe('requested');
      // Each backend's default cache type: f16 where WebGPU widens it for free, f32 on wasm.
      expect(await page.locator('[data-testid="chat-kv-cache"]').textContent()).toMatch(backend === 'webgpu' ? /^f16, [\d.]+ MiB$/ : /^f32, [\d.]+ MiB$/);
      expect(await page.getAttribute('#chat', 'data-engine')).toBe('worker');
      // The engine really lives in a worker: the page has one running dist/engine-worker.js.
      expect(page.workers().map((worker) => worker.url()).some((url) => url.endsWith('/engine-worker.js'))).toBe(true);

      const reply = await chat('Hello from the e2e test');
      console.log(`[demo e2e] ${backend} reply ${JSON.stringify(reply.text)}; ${reply.stats}`);
      expect(reply.text.length).toBeGreaterThan(0);
      expect(reply.tokensPerSecond).toBeGreaterThan(0);
      expect(reply.stats).toMatch(/tokens\/s/);
    });
  }

  it('resumes a download cut mid-body (Range from the cached length) and rejects a wrong SHA-256', async () => {
    const sha256 = createHash('sha256').update(ggufBytes).digest('hex');
    const url = `${server.url}flaky/${DEFAULT_MODEL_DIRECTORY}/${GGUF_FILE}`;
    await loadModel({ choice: 'url', backend: 'wasm', url, sha256 });
    expect(await page.getAttribute('#chat', 'data-state'), await page.locator('#chat-status').textContent() ?? '').toBe('ready');
    const ggufRequests = flakyRequests.filter((request) => request.path.endsWith(GGUF_FILE));
    console.log(`[demo e2e] flaky download requests: ${JSON.stringify(ggufRequests)}`);
    expect(ggufRequests[0]!.range).toBeUndefined();
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(ggufRequests[1]?.range ?? '')?.[1]);
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom).toBeLessThan(ggufBytes.byteLength);
    expect((await chat('after a resumed download')).text.length).toBeGreaterThan(0);

    // Same bytes, another URL (not cached yet), a wrong hash: a typed error, shown on the page.
    await loadModel({ choice: 'url', backend: 'wasm', url: `${server.url}${DEFAULT_MODEL_DIRECTORY}/${GGUF_FILE}`, sha256: '0'.repeat(64) });
    expect(await page.getAttribute('#chat', 'data-state')).toBe('error');
    expect(await page.locator('#chat-status').textContent()).toMatch(/IntegrityError: .*SHA-256 mismatch: expected 0{64}, got [0-9a-f]{64}/);
  });

  /** The Chat tab's file inputs and drop zone select 'local files': its row shows, the URL row hides. */
  async function expectFilesChoice(): Promise<void> {
    expect(await page.inputValue('#model-choice')).toBe('files');
    expect(await page.isVisible('#model-files-row')).toBe(true);
    expect(await page.isVisible('#model-url-row')).toBe(false);
  }

  /**
   * Drops files on the Chat tab's drop zone as the browser does: dragenter, dragover and drop, each
   * carrying one DataTransfer of File objects built in the page from the given bytes. Resolves once
   * the page lists the dropped files.
   */
  async function dropFiles(files: Array<{ name: string; bytes: Buffer | string }>): Promise<void> {
    await page.click('#tab-chat');
    const given = files.map((file) => ({ name: file.name, base64: Buffer.from(file.bytes).toString('base64') }));
    const events = await page.evaluate((dropped) => {
      const transfer = new DataTransfer();
      for (const file of dropped) transfer.items.add(new File([Uint8Array.from(atob(file.base64), (char) => char.charCodeAt(0))], file.name));
      const zone = document.getElementById('model-drop')!;
      // dispatchEvent is false when a listener called preventDefault (a dragover must, for the browser to allow the drop).
      const canceled = (type: string) => !zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
      const dragenter = canceled('dragenter');
      const dragover = canceled('dragover');
      const highlighted = zone.classList.contains('dragging');
      return { dragenter, dragover, highlighted, drop: canceled('drop'), highlightedAfterDrop: zone.classList.contains('dragging') };
    }, given);
    expect(events).toMatchObject({ dragover: true, highlighted: true, drop: true, highlightedAfterDrop: false });
    const names = files.map((file) => file.name);
    await page.waitForFunction((expected) => document.getElementById('picked-files')?.textContent === expected, `${names.length} file(s): ${names.join(', ')}`, { timeout: 10_000 });
  }

  it('loads the generated test model through the folder picker (webkitdirectory) on webgpu and chats', async () => {
    await page.click('#tab-chat');
    await page.selectOption('#model-choice', 'files');
    await expectFilesChoice();
    await page.setInputFiles('#model-folder', hfDirectory);
    // The picker hands the page the folder's files with their paths under it.
    const picked = await page.$eval('#model-folder', (input) => [...((input as HTMLInputElement).files ?? [])].map((file) => file.webkitRelativePath).sort());
    expect(picked).toEqual(['hf/config.json', 'hf/generation_config.json', 'hf/model.safetensors', 'hf/tokenizer.json', 'hf/tokenizer_config.json']);
    expect(await page.locator('#picked-files').textContent()).toMatch(/^5 file\(s\): /);

    const chosen = await loadModel({ choice: 'files', backend: 'webgpu' });
    expect(await page.getAttribute('#chat', 'data-state'), (await page.locator('#chat-status').textContent()) ?? '').toBe('ready');
    console.log(`[demo e2e] folder picker: ${chosen}; ${await page.locator('#model-info').textContent()}`);
    expect(chosen.toLowerCase()).toContain('webgpu');
    // The model is named after the picked folder.
    expect(await page.locator('#model-info dd').first().textContent()).toBe('hf');
    const reply = await chat('Hello from a picked folder');
    expect(reply.text.length).toBeGreaterThan(0);
    expect(reply.tokensPerSecond).toBeGreaterThan(0);
  });

  it('loads a dropped .gguf file on wasm and chats', async () => {
    // Dropping switches the choice to local files, whatever was chosen before.
    await page.click('#tab-chat');
    await page.selectOption('#model-choice', 'url');
    expect(await page.isVisible('#model-url-row')).toBe(true);
    await dropFiles([{ name: GGUF_FILE, bytes: ggufBytes }]);
    await expectFilesChoice();

    // The context and KV cache type the panel asks for: an f16 cache on wasm, widened in software.
    const chosen = await loadModel({ choice: 'files', backend: 'wasm', context: '64', kvCacheType: 'f16' });
    expect(await page.getAttribute('#chat', 'data-state'), (await page.locator('#chat-status').textContent()) ?? '').toBe('ready');
    expect(chosen.toLowerCase()).toContain('wasm');
    expect(await page.locator('#model-info dd').nth(1).textContent()).toMatch(/llama/i); // the architecture, read from the GGUF
    expect(await page.locator('#model-info dd').nth(3).textContent()).toBe('64 tokens');
    expect(await page.locator('[data-testid="chat-kv-cache"]').textContent()).toMatch(/^f16, [\d.]+ MiB$/);
    const reply = await chat('Hello from a dropped GGUF');
    console.log(`[demo e2e] dropped GGUF on ${chosen}: ${JSON.stringify(reply.text)}; ${reply.stats}`);
    expect(reply.text.length).toBeGreaterThan(0);
    expect(reply.tokensPerSecond).toBeGreaterThan(0);
  });

  it("loads a Hugging Face folder's dropped files on wasm and chats", async () => {
    await dropFiles(HF_FILES.map((name) => ({ name, bytes: readFileSync(join(hfDirectory, name)) })));
    await expectFilesChoice();

    const chosen = await loadModel({ choice: 'files', backend: 'wasm' });
    expect(await page.getAttribute('#chat', 'data-state'), (await page.locator('#chat-status').textContent()) ?? '').toBe('ready');
    expect(chosen.toLowerCase()).toContain('wasm');
    const reply = await chat('Hello from dropped safetensors');
    console.log(`[demo e2e] dropped HF files on ${chosen}: ${JSON.stringify(reply.text)}; ${reply.stats}`);
    expect(reply.text.length).toBeGreaterThan(0);
    expect(reply.tokensPerSecond).toBeGreaterThan(0);
  });

  it('loads a model folder dragged in through Chromium itself (CDP Input.dispatchDragEvent), walking the folder, and chats', async () => {
    // A browser-level drag of the folder path, as from a file manager: the page gets directory entries to walk.
    await page.click('#tab-chat');
    await page.selectOption('#model-choice', 'default-hf');
    const box = (await page.locator('#model-drop').boundingBox())!;
    const cdp = await page.context().newCDPSession(page);
    const data = { items: [], files: [hfDirectory], dragOperationsMask: 1 /* copy */ };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const) {
      await cdp.send('Input.dispatchDragEvent', { type, x: box.x + box.width / 2, y: box.y + box.height / 2, data });
    }
    await cdp.detach();
    await page.waitForFunction(() => document.getElementById('picked-files')?.textContent?.startsWith('5 file(s): '), undefined, { timeout: 10_000 });
    await expectFilesChoice();
    expect(((await page.locator('#picked-files').textContent()) ?? '').slice('5 file(s): '.length).split(', ').sort()).toEqual(
      ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'],
    );

    const chosen = await loadModel({ choice: 'files', backend: 'wasm' });
    expect(await page.getAttribute('#chat', 'data-state'), (await page.locator('#chat-status').textContent()) ?? '').toBe('ready');
    expect(chosen.toLowerCase()).toContain('wasm');
    expect((await chat('Hello from a dragged folder')).text.length).toBeGreaterThan(0);
  });

  it('shows what is missing when the dropped files are not a model (a lone config.json, a .txt)', async () => {
    await dropFiles([{ name: 'config.json', bytes: readFileSync(join(hfDirectory, 'config.json')) }]);
    await loadModel({ choice: 'files', backend: 'wasm' });
    expect(await page.getAttribute('#chat', 'data-state')).toBe('error');
    expect(await page.locator('#chat-status').textContent()).toMatch(/^Loading failed: ModelNotFoundError: No model at local files: the directory has no tokenizer\.json/);
    // The previous model is gone: nothing to send to.
    expect(await page.isDisabled('#send-button')).toBe(true);
    expect(await page.locator('#model-info').textContent()).toBe('');

    await dropFiles([{ name: 'notes.txt', bytes: 'not a model' }]);
    await loadModel({ choice: 'files', backend: 'wasm' });
    expect(await page.getAttribute('#chat', 'data-state')).toBe('error');
    expect(await page.locator('#chat-status').textContent()).toMatch(
      /^Loading failed: ModelNotFoundError: No model at local files: no config\.json and no \.gguf among 1 file\(s\) \(notes\.txt\)/,
    );
  });

  /** Runs a fine-tune in the Train tab; resolves to the #train data attributes once it ends. */
  async function fineTune(options: { backend: string; epochs: number; seqLen?: number }): Promise<Record<string, string | null>> {
    await page.click('#tab-train');
    await page.selectOption('#train-model', 'default');
    await page.selectOption('#train-backend', options.backend);
    await page.fill('#train-epochs', String(options.epochs));
    await page.fill('#train-seq-len', String(options.seqLen ?? 64));
    await page.click('#train-start');
    await page.waitForSelector('#train[data-state="done"], #train[data-state="error"], #train[data-state="stopped"]', { timeout: 90_000 });
    const attributes: Record<string, string | null> = {};
    for (const name of ['state', 'steps', 'first-loss', 'last-loss', 'backend', 'worker']) attributes[name] = await page.getAttribute('#train', `data-${name}`);
    console.log(`[demo e2e] train ${options.backend}: ${await page.locator('#train-status').textContent()} | ${await page.locator('#train-metrics').textContent()}`);
    return attributes;
  }

  it('fine-tunes the built-in model in a Web Worker on wasm, plots the loss, downloads the weights and chats with them', async () => {
    const run = await fineTune({ backend: 'wasm', epochs: 40 });
    expect(run.state, (await page.locator('#train-status').textContent()) ?? '').toBe('done');
    expect(run.backend).toMatch(/wasm/);
    expect(run.worker).toBe('worker');
    expect(page.workers().map((worker) => worker.url()).some((url) => url.endsWith('/train-worker.js'))).toBe(true);
    const points = Number(await page.getAttribute('#train-chart path.train-line', 'data-points'));
    expect(points).toBe(Number(run.steps));
    expect(points).toBeGreaterThan(10);
    expect(Number(run['last-loss'])).toBeLessThan(Number(run['first-loss']) / 4);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-downloads a[data-file="model.safetensors"]')]);
    const saved = await download.path();
    expect(saved && readFileSync(saved).byteLength).toBeGreaterThan(100_000);

    // The fine-tuned weights go to the Chat tab in memory; the example dataset taught it this answer.
    await page.click('#train-chat');
    await page.waitForSelector('#chat[data-state="ready"], #chat[data-state="error"]', { timeout: 90_000 });
    expect(await page.getAttribute('#chat', 'data-state'), (await page.locator('#chat-status').textContent()) ?? '').toBe('ready');
    expect(await page.inputValue('#model-choice')).toBe('trained');
    const reply = await chat('hi');
    console.log(`[demo e2e] the fine-tuned model answers "hi" with ${JSON.stringify(reply.text)}`);
    // chat() caps the reply at 12 tokens: the learned answer, or as much of it as fits.
    expect(reply.text.length).toBeGreaterThanOrEqual(8);
    expect('Hello from Cria!'.startsWith(reply.text) || reply.text.startsWith('Hello from Cria!'), reply.text).toBe(true);
  });

  it('fine-tunes a few steps on WebGPU (SwiftShader), warning about the sample longer than seq len', async () => {
    // "What are you?" is 37 tokens in the tiny model's chat template, the other three 25–35.
    const run = await fineTune({ backend: 'webgpu', epochs: 3, seqLen: 36 });
    expect(await page.locator('#train-warning').textContent()).toMatch(/^1 sample of 4 is longer than 36 tokens \(longest: 37\) and was dropped/);
    expect(run.state, (await page.locator('#train-status').textContent()) ?? '').toBe('done');
    expect(run.backend?.toLowerCase()).not.toMatch(/^wasm/);
    expect(Number(run.steps)).toBeGreaterThan(0);
    expect(Number(run['last-loss'])).toBeLessThan(Number(run['first-loss']));
  });

  it('logged no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
