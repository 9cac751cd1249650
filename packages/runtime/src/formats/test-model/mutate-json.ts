import type { SeededRandom } from './seeded-random.js';

/**
 * Values that break JSON readers which trust a document's shape: other types, empty and
 * oversized strings, lone surrogates, zero, negatives, fractions, 2^53 and beyond, nested oddities.
 */
export const JSON_EDGE_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 1, 0.5, 1.5, 3, 21, 100, 101, -2.5, 1e9, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324,
  '', 'x', 'user', 'text', '0', '1e3', 'a'.repeat(5000), '\u0000\uffff\ud800', [], [1], ['a'], [{}], [null], {}, { type: 'text' }, { '1': 1 }, { x: [] },
];

export interface JsonMutation {
  /** What changed, e.g. `messages.1.content set to null`. */
  describe: string;
  /** A changed copy of the document (the original is untouched). */
  value: unknown;
}

/**
 * One random change to a JSON document, for mutation tests of readers of hostile input: a value at
 * a random path swapped for one of `replacements`, or (one time in five) its key or array item
 * removed. Large documents (a vocabulary) are sampled: the first 50 items of each array and 200
 * keys of each object, 20 000 paths in all.
 */
export function mutateJson(random: SeededRandom, document: unknown, replacements: readonly unknown[] = JSON_EDGE_VALUES): JsonMutation {
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (path.length > 0) paths.push(path);
    if (paths.length > 20_000) return;
    if (Array.isArray(value)) value.slice(0, 50).forEach((item, i) => walk(item, [...path, i]));
    else if (value && typeof value === 'object') Object.entries(value).slice(0, 200).forEach(([key, item]) => walk(item, [...path, key]));
  };
  walk(document, []);
  const copy = structuredClone(document);
  if (paths.length === 0) {
    const replacement = pick(random, replacements);
    return { describe: `the document replaced by ${shortJson(replacement)}`, value: replacement };
  }
  const path = pick(random, paths);
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (random.uniform() < 0.2) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
    return { describe: `${path.join('.')} removed`, value: copy };
  }
  const replacement = pick(random, replacements);
  parent[last] = replacement;
  return { describe: `${path.join('.')} set to ${shortJson(replacement)}`, value: copy };
}

function pick<T>(random: SeededRandom, items: readonly T[]): T {
  return items[Math.floor(random.uniform() * items.length)]!;
}

const shortJson = (value: unknown) => JSON.stringify(value)?.slice(0, 40) ?? String(value);
