import { OP_NAMES } from '@cria/kernels';
import type { DemoBackend } from './backends.js';
import { element, formatError, replaceChildren } from './dom.js';
import type { CheckCell } from './kernel-check.js';

/**
 * The kernel check as a table: one row per op, one column per backend. Cells fill in as cases
 * finish; each carries data-status (pending / pass / fail / error / unavailable) for the e2e test.
 */
export class CheckTable {
  readonly #cells = new Map<string, HTMLTableCellElement>();
  readonly #failures: HTMLElement;

  constructor(container: HTMLElement, failures: HTMLElement, backends: DemoBackend[]) {
    this.#failures = failures;
    const head = element('tr', {}, element('th', {}, 'op'), ...backends.map((entry) => element('th', { title: stateText(entry) }, entry.label)));
    const body = element('tbody', {});
    for (const op of OP_NAMES) {
      const row = element('tr', {}, element('th', { scope: 'row' }, op));
      for (const entry of backends) {
        const ready = entry.state.status === 'ready';
        const cell = element(
          'td',
          { class: 'result', 'data-backend': entry.id, 'data-op': op, 'data-status': ready ? 'pending' : 'unavailable', title: ready ? undefined : stateText(entry) },
          ready ? '…' : '—',
        );
        this.#cells.set(`${entry.id}/${op}`, cell);
        row.append(cell);
      }
      body.append(row);
    }
    replaceChildren(container, element('table', {}, element('thead', {}, head), body));
    replaceChildren(failures);
  }

  update(cell: CheckCell): void {
    const node = this.#cells.get(`${cell.backendId}/${cell.op}`);
    if (!node) return;
    const crashed = cell.failures.length > 0 && !Number.isFinite(cell.worstError);
    const status = crashed ? 'error' : cell.failures.length > 0 ? 'fail' : 'pass';
    node.dataset.status = status;
    node.dataset.error = String(cell.worstError);
    const mark = status === 'pass' ? '✓' : '✗';
    node.textContent = `${mark} ${status === 'error' ? 'error' : formatError(cell.worstError)}`;
    node.title = `${cell.passed}/${cell.done} cases passed; worst error ${cell.worstError} (tolerance ${cell.tolerance})` + (cell.failures.length ? `\n${cell.failures.join('\n')}` : '');
  }

  /** Lists every failing case under the table, with the seed that replays it. */
  showFailures(cells: CheckCell[], backends: DemoBackend[], seed: number): void {
    const labels = new Map<string, string>(backends.map((entry) => [entry.id, entry.label]));
    const lines = cells.flatMap((cell) => cell.failures.map((failure) => `${labels.get(cell.backendId)} ${cell.op} — ${failure}`));
    if (lines.length === 0) return replaceChildren(this.#failures);
    replaceChildren(
      this.#failures,
      element('p', { class: 'muted' }, `Failing cases (replay with ?seed=${seed}):`),
      element('ul', { class: 'failure-list' }, ...lines.map((line) => element('li', {}, line))),
    );
  }
}

function stateText(entry: DemoBackend): string {
  const { state } = entry;
  if (state.status === 'ready') return state.backend.info.description;
  return state.status === 'unavailable' ? state.reason : 'starting';
}
