/**
 * Model-loading progress on stderr. On a terminal: one bar redrawn in place (at most 10 times a
 * second). Anywhere else (a log file, CI, a pipe): plain lines, one when a phase starts and one at
 * each quarter, so logs stay short and readable.
 */
import type { Writable } from 'node:stream';
import type { LoadProgress } from '../engine-types.js';

export interface ProgressReporter {
  update(progress: LoadProgress): void;
  /** Clears the bar (terminal) and leaves the stream at the start of a line. */
  done(): void;
}

const REDRAW_INTERVAL_MS = 100;

export function createProgressReporter(stream: Writable & { isTTY?: boolean; columns?: number }, label = 'loading'): ProgressReporter {
  return stream.isTTY ? terminalBar(stream, label) : plainLines(stream, label);
}

function terminalBar(stream: Writable & { columns?: number }, label: string): ProgressReporter {
  let lastDraw = 0;
  let lastPhase = '';
  let drawn = false;
  return {
    update(progress) {
      const now = performance.now();
      const complete = progress.totalBytes > 0 && progress.loadedBytes >= progress.totalBytes;
      if (progress.phase === lastPhase && !complete && now - lastDraw < REDRAW_INTERVAL_MS) return;
      lastDraw = now;
      lastPhase = progress.phase;
      const fraction = progress.totalBytes > 0 ? Math.min(1, progress.loadedBytes / progress.totalBytes) : 0;
      const columns = stream.columns ?? 80;
      const barWidth = Math.max(10, Math.min(30, columns - 60));
      const filled = Math.round(fraction * barWidth);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`;
      const text = `${label} ${progress.phase.padEnd(8)} ${bar} ${percent(fraction).padStart(4)} ${sizes(progress)}${progress.item ? `  ${progress.item}` : ''}`;
      stream.write(`\r\x1b[2K${text.slice(0, columns - 1)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

function plainLines(stream: Writable, label: string): ProgressReporter {
  let phase = '';
  let quarter = -1;
  return {
    update(progress) {
      const fraction = progress.totalBytes > 0 ? Math.min(1, progress.loadedBytes / progress.totalBytes) : 0;
      const reached = Math.floor(fraction * 4);
      if (progress.phase === phase && reached <= quarter) return;
      if (progress.phase !== phase) quarter = -1;
      phase = progress.phase;
      quarter = reached;
      stream.write(`${label}: ${progress.phase} ${percent(fraction)} (${sizes(progress)})\n`);
    },
    done() {},
  };
}

function percent(fraction: number): string {
  return `${Math.floor(fraction * 100)}%`;
}

function sizes(progress: LoadProgress): string {
  return `${formatBytes(progress.loadedBytes)}/${formatBytes(progress.totalBytes)}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
