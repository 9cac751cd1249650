import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultFile } from './result-types.js';

/**
 * Writes `<suite>.json` and `<suite>.md` (`<suite>-quick.*` for smoke runs, so a quick run never
 * overwrites real numbers). Each file is written to a .tmp first and renamed, so an interrupted run
 * leaves the previous results whole.
 */
export function resultBaseName(result: ResultFile): string {
  return result.quick ? `${result.suite}-quick` : result.suite;
}

export function writeResults(result: ResultFile, markdown: string, outDir: string): { json: string; markdown: string } {
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, resultBaseName(result));
  const paths = { json: `${base}.json`, markdown: `${base}.md` };
  writeAtomically(paths.json, `${JSON.stringify(result, null, 2)}\n`);
  writeAtomically(paths.markdown, markdown);
  return paths;
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
