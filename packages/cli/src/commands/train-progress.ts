/**
 * Training progress for `cria train` on stderr. On a terminal: one line redrawn in place (at most 10
 * times a second) with a bar, the step, loss, tokens/s and ETA. Elsewhere (logs, CI, pipes): one
 * plain line every `every` steps and at the end, so a log stays short.
 */
import type { Writable } from 'node:stream';

export interface TrainingProgressUpdate {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  tokensPerSecond: number;
  /** Seconds since the first step began. */
  elapsed: number;
}

export interface TrainingProgress {
  update(update: TrainingProgressUpdate): void;
  /** A line that stays (an evaluation, a checkpoint), printed above the bar. */
  note(text: string): void;
  done(): void;
}

const REDRAW_INTERVAL_MS = 100;

export function createTrainingProgress(stream: Writable & { isTTY?: boolean; columns?: number }, every = 10): TrainingProgress {
  let lastDraw = 0;
  let drawn = '';
  const clear = () => {
    if (stream.isTTY && drawn) stream.write('\r\x1b[2K');
  };
  return {
    update(update) {
      const last = update.step === update.totalSteps;
      if (!stream.isTTY) {
        if (update.step === 1 || update.step % every === 0 || last) stream.write(`${describe(update)}\n`);
        return;
      }
      const now = performance.now();
      if (!last && now - lastDraw < REDRAW_INTERVAL_MS) return;
      lastDraw = now;
      const columns = stream.columns ?? 80;
      const width = Math.max(10, Math.min(30, columns - 70));
      const filled = Math.round((update.step / update.totalSteps) * width);
      drawn = `train ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${describe(update)}`.slice(0, columns - 1);
      stream.write(`\r\x1b[2K${drawn}`);
    },
    note(text) {
      clear();
      stream.write(`${text}\n`);
      if (stream.isTTY && drawn) stream.write(drawn);
    },
    done() {
      clear();
      drawn = '';
    },
  };
}

function describe({ step, totalSteps, epoch, loss, tokensPerSecond, elapsed }: TrainingProgressUpdate): string {
  const remaining = step > 0 ? (elapsed / step) * (totalSteps - step) : 0;
  return `step ${step}/${totalSteps} epoch ${epoch + 1} loss ${loss.toFixed(4)} ${Math.round(tokensPerSecond)} tok/s ETA ${formatDuration(remaining)}`;
}

export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}
