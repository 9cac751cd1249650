import type { DemoBackend } from './backends.js';
import { badge, element, facts, replaceChildren } from './dom.js';
import { adapterName, type EnvironmentReport, type WebGPUReport } from './environment.js';

/** The Environment card: WebGPU, WebAssembly, threads, and the backends that started from them. */
export function renderEnvironment(container: HTMLElement, report: EnvironmentReport): HTMLElement {
  const backendsSlot = element('div', { class: 'backends-list' });
  replaceChildren(
    container,
    element('div', {}, element('h3', {}, 'WebGPU'), webgpuFacts(report.webgpu)),
    element(
      'div',
      {},
      element('h3', {}, 'WebAssembly'),
      facts([
        ['SIMD (128-bit)', badge(report.wasm.simd)],
        ['relaxed SIMD', element('span', { 'data-testid': 'relaxed-simd' }, badge(report.wasm.relaxedSimd))],
        ['atomics + shared memory', badge(report.wasm.threads)],
      ]),
    ),
    element(
      'div',
      {},
      element('h3', {}, 'Threads'),
      facts([
        ['crossOriginIsolated', element('span', { 'data-testid': 'cross-origin-isolated' }, badge(report.threads.crossOriginIsolated, String(report.threads.crossOriginIsolated)))],
        ['SharedArrayBuffer', badge(report.threads.sharedArrayBuffer)],
        ['hardwareConcurrency', element('span', { class: 'mono' }, report.threads.hardwareConcurrency)],
      ]),
    ),
    backendsSlot,
  );
  return backendsSlot;
}

function webgpuFacts(report: WebGPUReport): HTMLElement {
  if (!report.available) {
    return facts([
      ['adapter', badge(false, 'unavailable')],
      ['why', element('span', { 'data-testid': 'webgpu-reason' }, report.reason)],
    ]);
  }
  const limits = element('table', {});
  for (const [name, value] of Object.entries(report.limits)) {
    limits.append(element('tr', {}, element('td', { class: 'mono' }, name), element('td', { class: 'number' }, value.toLocaleString('en-US'))));
  }
  return facts([
    ['adapter', element('strong', { 'data-testid': 'webgpu-adapter' }, adapterName(report))],
    ['fallback adapter', report.isFallbackAdapter ? element('span', { class: 'badge pending' }, 'yes (software)') : element('span', { class: 'badge yes' }, 'no')],
    ['shader-f16', badge(report.features.includes('shader-f16'))],
    ['subgroups', badge(report.features.includes('subgroups'))],
    [
      'features',
      element(
        'details',
        {},
        element('summary', {}, `${report.features.length} features`),
        element('div', { class: 'feature-list' }, ...report.features.map((feature) => element('code', {}, feature))),
      ),
    ],
    ['limits', element('details', {}, element('summary', {}, `${Object.keys(report.limits).length} limits`), limits)],
  ]);
}

/** One row per backend: starting, ready (with what it runs on) or unavailable (with why). */
export function renderBackends(container: HTMLElement, backends: DemoBackend[]): void {
  const rows = backends.map((entry) => {
    const { state } = entry;
    const status =
      state.status === 'ready'
        ? badge(true, 'ready')
        : state.status === 'starting'
          ? element('span', { class: 'badge pending' }, 'starting…')
          : badge(false, 'unavailable');
    const detail = state.status === 'ready' ? state.backend.info.description : state.status === 'unavailable' ? state.reason : '';
    return element(
      'tr',
      { 'data-testid': `backend-${entry.id}`, 'data-status': state.status },
      element('td', {}, element('strong', {}, entry.label)),
      element('td', {}, status),
      element('td', { class: 'detail' }, detail),
    );
  });
  replaceChildren(
    container,
    element('h3', {}, 'Backends'),
    element('div', { class: 'table-scroll' }, element('table', {}, element('tbody', {}, ...rows))),
  );
}
