// Compiles kernels/assembly with asc into the two variants the wasm backend picks from at run time.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const WASM_VARIANTS = {
  simd: ['--enable', 'simd'],
  relaxed: ['--enable', 'simd,relaxed-simd'],
};

export async function buildWasm(root) {
  const entry = join(root, 'assembly/index.ts');
  if (!existsSync(entry)) return;
  const asc = join(root, '../node_modules/assemblyscript/bin/asc.js');
  for (const [variant, features] of Object.entries(WASM_VARIANTS)) {
    execFileSync(
      process.execPath,
      [
        asc,
        entry,
        '-o',
        join(root, `build/kernels-${variant}.wasm`),
        '-O3',
        '--noAssert',
        '--runtime',
        'stub',
        '--uncheckedBehavior',
        'always',
        ...features,
      ],
      { stdio: 'inherit', cwd: root },
    );
  }
}
