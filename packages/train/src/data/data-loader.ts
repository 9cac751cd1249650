import { SeededRandom } from '@cria/runtime';
import { TrainingInputError } from '../errors.js';
import type { TrainingBatch } from '../model/training-batch.js';
import type { PackedDataset, PackedRow } from './packing.js';
import type { PackingStats } from './packing-stats.js';

/** Where the loader stands: enough to resume exactly (saved in checkpoints). */
export interface DataPosition {
  epoch: number;
  /** Batches already taken in this epoch. */
  batch: number;
}

export interface DataLoaderOptions {
  batchSize: number;
  seed: number;
  /** Default true. */
  shuffle?: boolean;
}

/**
 * Batches of packed rows, reshuffled every epoch with a generator seeded by (seed, epoch), so the
 * order of any epoch is a pure function of the seed: resuming needs only the position, not RNG state.
 * The last, incomplete batch of an epoch is dropped (every step sees the same batch shape).
 */
export class DataLoader {
  #position: DataPosition = { epoch: 0, batch: 0 };
  #order: number[];
  readonly rows: readonly PackedRow[];
  /** What packing dropped or truncated (when built from `packExamples`' result): show `describeOverlong(packing)`. */
  readonly packing: PackingStats | undefined;

  constructor(
    data: PackedDataset | readonly PackedRow[],
    readonly options: DataLoaderOptions,
  ) {
    const packed = 'rows' in data ? data : undefined;
    this.rows = packed ? packed.rows : (data as readonly PackedRow[]);
    this.packing = packed?.stats;
    const { rows } = this;
    if (!Number.isInteger(options?.batchSize) || options.batchSize < 1) {
      throw new TrainingInputError('batchSize', 'an integer ≥ 1', JSON.stringify(options?.batchSize) ?? String(options?.batchSize), 'rows per batch; raise it within memory, or accumulate gradients over micro-batches');
    }
    if (rows.length < options.batchSize) {
      throw new TrainingInputError('data', `at least batchSize = ${options.batchSize} packed rows`, `${rows.length}`, 'add data, or lower the batch size or the sequence length');
    }
    this.#order = this.#orderOf(0);
  }

  get batchesPerEpoch(): number {
    return Math.floor(this.rows.length / this.options.batchSize);
  }

  get position(): DataPosition {
    return { ...this.#position };
  }

  seek(position: DataPosition): void {
    this.#position = { ...position };
    this.#order = this.#orderOf(position.epoch);
  }

  next(): TrainingBatch {
    if (this.#position.batch >= this.batchesPerEpoch) this.seek({ epoch: this.#position.epoch + 1, batch: 0 });
    const { batchSize: B } = this.options;
    const T = this.rows[0]!.ids.length;
    const batch: TrainingBatch = {
      batchSize: B,
      sequenceLength: T,
      ids: new Int32Array(B * T),
      targets: new Int32Array(B * T),
      positions: new Int32Array(B * T),
      segmentIds: new Int32Array(B * T),
    };
    for (let b = 0; b < B; b++) {
      const row = this.rows[this.#order[this.#position.batch * B + b]!]!;
      batch.ids.set(row.ids, b * T);
      batch.targets.set(row.targets, b * T);
      batch.positions!.set(row.positions, b * T);
      batch.segmentIds!.set(row.segmentIds, b * T);
    }
    this.#position.batch++;
    return batch;
  }

  #orderOf(epoch: number): number[] {
    const order = this.rows.map((_, index) => index);
    if (this.options.shuffle === false) return order;
    // Fisher–Yates with a generator per epoch.
    const random = new SeededRandom((this.options.seed * 1_000_003 + epoch) >>> 0);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random.uniform() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }
}
