import { OP_NAMES } from '@cria/kernels';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../scripts/ensure-built.mjs';
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

describe('demo page in headless Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CRIA_CHROMIUM to a Chromium binary)`);
    const root = await ensureBuilt({ log: () => {} });
    server = await startStaticServer({ root, port: 0 });
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

  it('logged no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
