import { startBackends, readyBackends, type DemoBackend } from './backends.js';
import { BENCHMARK_SHAPES, QUICK_BENCHMARK_SHAPES, runBenchmark } from './benchmark.js';
import { BenchmarkView } from './benchmark-view.js';
import { CheckTable } from './check-table.js';
import { byId } from './dom.js';
import { renderBackends, renderEnvironment } from './environment-panel.js';
import { probeEnvironment } from './environment.js';
import { freshSeed, runKernelCheck } from './kernel-check.js';
import { setupChat } from './chat/chat-panel.js';
import { setupTabs } from './tabs.js';
import { setupTrain } from './train/train-panel.js';

/**
 * The page's wiring: probe the environment, start the backends, then run the kernel check or the
 * benchmark on demand. Progress is mirrored in data-state attributes that the e2e test waits on.
 */
const parameters = new URLSearchParams(location.search);
const pinnedSeed = parameters.has('seed') ? Number(parameters.get('seed')) >>> 0 : undefined;
const quickBenchmark = parameters.get('bench') === 'quick';

const casesInput = byId<HTMLInputElement>('cases-per-op');
if (parameters.has('cases')) casesInput.value = String(Math.max(1, Number(parameters.get('cases')) || 1));
const checkButton = byId<HTMLButtonElement>('check-button');
const benchmarkButton = byId<HTMLButtonElement>('benchmark-button');

let backends: DemoBackend[] = [];
let busy = false;

function setBusy(value: boolean): void {
  busy = value;
  checkButton.disabled = value;
  benchmarkButton.disabled = value;
}

function setSummary(id: string, text: string, tone?: 'pass' | 'fail'): void {
  const node = byId(id);
  node.textContent = text;
  node.className = `summary${tone ? ` ${tone}` : ''}`;
}

async function checkKernels(): Promise<void> {
  const section = byId('check');
  const reference = backends.find((entry) => entry.id === 'reference');
  if (busy || reference?.state.status !== 'ready') return;
  setBusy(true);
  section.dataset.state = 'running';
  const seed = pinnedSeed ?? freshSeed();
  const casesPerOp = Math.max(1, Math.min(50, Number(casesInput.value) || 1));
  const table = new CheckTable(byId('check-table'), byId('check-failures'), backends);
  const running = readyBackends(backends);
  const started = performance.now();
  setSummary('check-summary', `Running ${casesPerOp} case(s) per op on ${running.length} backend(s), seed ${seed}…`);
  try {
    const cells = await runKernelCheck({
      reference: reference.state.backend,
      backends: running,
      casesPerOp,
      seed,
      onProgress: (cell) => table.update(cell),
    });
    table.showFailures(cells, backends, seed);
    const passed = cells.filter((cell) => cell.failures.length === 0).length;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const unavailable = backends.length - running.length;
    const allPassed = passed === cells.length;
    setSummary(
      'check-summary',
      `${passed}/${cells.length} op × backend checks passed (${casesPerOp} case(s) each, seed ${seed}, ${seconds} s)` +
        (unavailable ? `; ${unavailable} backend(s) unavailable` : ''),
      allPassed ? 'pass' : 'fail',
    );
    section.dataset.state = 'done';
  } catch (error) {
    setSummary('check-summary', `The check stopped: ${(error as Error).message}`, 'fail');
    section.dataset.state = 'error';
  } finally {
    setBusy(false);
  }
}

async function benchmark(): Promise<void> {
  const section = byId('benchmark');
  if (busy) return;
  setBusy(true);
  section.dataset.state = 'running';
  const running = readyBackends(backends);
  const shapes = quickBenchmark ? QUICK_BENCHMARK_SHAPES : BENCHMARK_SHAPES;
  const view = new BenchmarkView(byId('benchmark-chart'), byId('benchmark-table'), running, shapes);
  const started = performance.now();
  setSummary('benchmark-summary', `Timing ${shapes.length} shapes on ${running.length} backend(s)…`);
  try {
    const measurements = await runBenchmark({
      backends: running,
      shapes,
      budgetMilliseconds: quickBenchmark ? 100 : 400,
      onMeasurement: (measurement) => view.add(measurement),
    });
    const failed = measurements.filter((measurement) => !measurement.ok).length;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const text = failed ? `${failed} of ${measurements.length} measurements failed` : `${measurements.length} measurements`;
    setSummary('benchmark-summary', `${text} (${seconds} s)`, failed ? 'fail' : undefined);
    section.dataset.state = 'done';
  } catch (error) {
    setSummary('benchmark-summary', `The benchmark stopped: ${(error as Error).message}`, 'fail');
    section.dataset.state = 'error';
  } finally {
    setBusy(false);
  }
}

async function main(): Promise<void> {
  setupTabs();
  setupChat();
  setupTrain();
  const environmentSection = byId('environment');
  const report = await probeEnvironment();
  const backendsSlot = renderEnvironment(byId('environment-grid'), report);
  environmentSection.dataset.state = 'probed';
  backends = await startBackends(report, (list) => renderBackends(backendsSlot, list));
  environmentSection.dataset.state = 'ready';
  environmentSection.removeAttribute('aria-busy');
  checkButton.addEventListener('click', () => void checkKernels());
  benchmarkButton.addEventListener('click', () => void benchmark());
  setBusy(false);
}

main().catch((error: unknown) => {
  const section = byId('environment');
  section.dataset.state = 'error';
  byId('environment-grid').textContent = `The page failed to start: ${(error as Error).stack ?? error}`;
});
