import os from 'node:os';
import type { LoadGuard } from './sampler.js';

/**
 * How much of the machine other processes took while we timed. On a shared 2-core machine a
 * 2-thread run cannot scale while someone else holds a core, and interleaving only makes that
 * fair between impls, not harmless — so the suite records it per case and waits for a quiet
 * machine (briefly) before each case.
 *
 * Busy time comes from os.cpus() (all processes), our own from process.cpuUsage() (all our
 * threads, workers included); the difference is everyone else.
 */
interface Snapshot {
  wallMs: number;
  machineBusyMs: number;
  ownCpuMs: number;
}

function snapshot(): Snapshot {
  let busy = 0;
  for (const cpu of os.cpus()) busy += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  const own = process.cpuUsage();
  return { wallMs: performance.now(), machineBusyMs: busy, ownCpuMs: (own.user + own.system) / 1000 };
}

/** Average number of cores kept busy by other processes between two snapshots (never below 0). */
function otherCores(start: Snapshot, end: Snapshot): number {
  const wall = end.wallMs - start.wallMs;
  if (wall <= 0) return 0;
  const others = end.machineBusyMs - start.machineBusyMs - (end.ownCpuMs - start.ownCpuMs);
  return Math.max(0, others / wall);
}

export interface LoadProbe {
  /** Cores other processes kept busy on average since the probe started, 2 decimals. */
  stop(): number;
}

export function startLoadProbe(): LoadProbe {
  const start = snapshot();
  return { stop: () => Math.round(otherCores(start, snapshot()) * 100) / 100 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until other processes use less than `thresholdCores` over one look of `lookMs`, for at most
 * `maxWaitMs`. Returns how long it waited beyond the first look (0: the machine was quiet at once).
 * The caller records the load it then measures, quiet or not.
 */
export async function waitForQuiet(thresholdCores: number, maxWaitMs: number, lookMs = 500): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < maxWaitMs) {
    const probe = startLoadProbe();
    await sleep(lookMs);
    if (probe.stop() < thresholdCores) break;
  }
  return Math.max(0, Math.round(performance.now() - started - lookMs));
}

/** The sampler's load guard backed by this machine's counters. */
export function machineLoadGuard(options: Omit<LoadGuard, 'watch'>): LoadGuard {
  return {
    ...options,
    watch: () => {
      const start = snapshot();
      return { othersCores: () => otherCores(start, snapshot()) };
    },
  };
}
