import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { MachineInfo } from './results/result-types.js';

/** Facts about the machine and the software versions, written once at the top of each results file. */
export function collectMachineInfo(webgpu: string, peerPackages: readonly string[], loadAtStart: number): MachineInfo {
  const cpus = os.cpus();
  const versions: Record<string, string> = { cria: criaRevision() };
  for (const name of peerPackages) versions[name] = packageVersion(name);
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    webgpu,
    date: new Date().toISOString(),
    load_average: { start: loadAtStart, end: currentLoad() },
    versions,
  };
}

/** The 1-minute load average, 2 decimals. */
export function currentLoad(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

/** The version in a package's package.json, or "not installed". */
export function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** The git commit the benchmarked Cria was built from, with "+changes" when the tree was dirty. */
function criaRevision(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${commit}+changes` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
