/**
 * A deterministic multilingual test corpus, generated from a seed so nothing is downloaded:
 * English prose, source code, CJK, Arabic/Hebrew, emoji (ZWJ sequences, skin tones, flags),
 * runs of spaces/tabs/newlines, digits and long numbers, special-token look-alikes, combining
 * marks (NFC matters to Qwen) and lone surrogates. Returned as chunks of a few hundred characters,
 * so a parity failure points at a short string.
 */
export interface CorpusOptions {
  seed?: number;
  /** Stop once the chunks hold at least this many UTF-8 bytes. */
  bytes: number;
  /** Leave out the characters on which transformers.js knowingly differs from Hugging Face (see README). */
  excludeOracleDivergences?: boolean;
}

export function generateCorpus(options: CorpusOptions): string[] {
  const random = mulberry32(options.seed ?? 20_240_601);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const fromRange = (start: number, end: number) => String.fromCodePoint(int(start, end));
  const repeat = (count: number, make: () => string) => Array.from({ length: count }, make).join('');

  const generators: Array<() => string> = [
    // English prose with contractions in mixed case, quotes and punctuation.
    () => {
      const sentence = repeat(int(4, 18), () => {
        const word = pick(WORDS);
        const roll = random();
        if (roll < 0.06) return ` ${word}${pick(CONTRACTIONS)}`;
        if (roll < 0.1) return ` ${word.toUpperCase()}`;
        if (roll < 0.14) return ` ${word[0]!.toUpperCase()}${word.slice(1)}`;
        if (roll < 0.17) return ` "${word}"`;
        if (roll < 0.2) return ` (${word})`;
        return ` ${word}`;
      });
      return `${sentence.trimStart()}${pick(['.', '!', '?', '...', ';', ',', ':', ' —'])}${pick([' ', ' ', '\n', '  '])}`;
    },
    () => pick(CODE).replaceAll('NAME', pick(WORDS)).replaceAll('NUMBER', String(int(0, 99999))),
    () => repeat(int(3, 40), () => (random() < 0.85 ? fromRange(...pick(CJK_RANGES)) : pick(['，', '。', '、', '「', '」', '！', '？', ' ', '\n']))),
    () => repeat(int(2, 12), () => repeat(int(2, 8), () => fromRange(0x0621, 0x064a) + (random() < 0.2 ? fromRange(0x064b, 0x0652) : '')) + pick([' ', ' ', '، ', '. '])),
    () => repeat(int(2, 12), () => repeat(int(2, 7), () => fromRange(0x05d0, 0x05ea)) + pick([' ', ' ', ', ', '. '])),
    () => repeat(int(1, 8), () => {
      const roll = random();
      if (roll < 0.3) return pick(ZWJ_SEQUENCES);
      if (roll < 0.55) return fromRange(0x1f466, 0x1f469) + fromRange(0x1f3fb, 0x1f3ff);
      if (roll < 0.7) return fromRange(0x1f1e6, 0x1f1ff) + fromRange(0x1f1e6, 0x1f1ff);
      if (roll < 0.8) return `${pick(['❤', '☺', '✌', '☝'])}\ufe0f`;
      return fromRange(0x1f300, 0x1f64f) + pick(['', ' ', '']);
    }),
    () => repeat(int(1, 6), () => pick([' ', '  ', '   ', '\t', '\t\t', '\n', '\n\n', '\r\n', ' \n', '\n ', '\u00a0', '\u3000', '\u2009'])) + pick(WORDS),
    () => {
      const roll = random();
      if (roll < 0.3) return ` ${int(0, 9)}${repeat(int(5, 40), () => String(int(0, 9)))}`;
      if (roll < 0.5) return ` ${int(1, 999)},${String(int(0, 999)).padStart(3, '0')},${String(int(0, 999)).padStart(3, '0')}.${int(0, 99)}`;
      if (roll < 0.65) return ` ${int(1, 31)}/${int(1, 12)}/${int(1900, 2099)} ${int(0, 23)}:${String(int(0, 59)).padStart(2, '0')}`;
      if (roll < 0.75) return ` ${repeat(int(1, 6), () => fromRange(0x0660, 0x0669))} ${repeat(int(1, 6), () => fromRange(0xff10, 0xff19))}`;
      return ` ${(random() * 1e6).toExponential(int(1, 8))} -${int(0, 1e9)} 0x${int(0, 0xffffff).toString(16)}`;
    },
    () => pick(LOOK_ALIKES) + pick(['', ' ', 'text', '\n']),
    () => `${pick(WORDS)}${repeat(int(1, 4), () => pick(WORDS).slice(0, 3) + pick(['\u0301', '\u0308', '\u0327', '\u030a']))} ${pick(['e\u0301', 'A\u030a', 'ﬁ', 'Ⅻ', '①', 'ｈｅｌｌｏ', 'ŉ', 'ǅ'])}`,
    () => `${pick(WORDS)}${pick(['\ud800', '\udfff', '\udc00x', 'a\ud83d', '\ud83d\ud83d'])}${pick(WORDS)}`,
    () => repeat(int(3, 20), () => String.fromCodePoint(int(0x20, 0x2fff))),
  ];
  const exclude = options.excludeOracleDivergences ?? true;
  const encoder = new TextEncoder();
  const chunks: string[] = [];
  let total = 0;
  while (total < options.bytes) {
    let chunk = repeat(int(4, 24), () => pick(generators)());
    if (exclude) chunk = chunk.replace(ORACLE_DIVERGENT, ' ');
    chunks.push(chunk);
    total += encoder.encode(chunk).length;
  }
  return chunks;
}

/** Characters whose handling differs between transformers.js and Hugging Face's Rust tokenizers (README, "Divergences"). */
export const ORACLE_DIVERGENT = /[\u0085\ufeff\u017f\u212a]/g;

/**
 * Characters whose Unicode data differs between JavaScript (Node 20.20's ICU, used by Cria and
 * transformers.js alike) and the Rust tokenizers crate (0.22): letters assigned in Unicode 14 and
 * later, which Rust's regex tables do not know as \p{L}, and newer combining marks that Rust's NFC
 * orders differently. Found by running every code point through both pre-tokenizers and
 * normalizers (README, "Divergences"); left out of the corpus only when comparing with Rust.
 */
export const RUST_UNICODE_DIVERGENT = new RegExp(
  '[' +
    // Pre-tokenizer: letters unknown to Rust's regex.
    '\u{88f}\u{c5c}\u{cdc}\u{a7ce}-\u{a7cf}\u{a7d2}\u{a7d4}\u{a7f1}\u{10940}-\u{10959}\u{10ec5}-\u{10ec7}\u{11db0}-\u{11ddb}\u{11de0}-\u{11de9}\u{16ea0}-\u{16eb8}\u{16ebb}-\u{16ed3}\u{16ff2}-\u{16ff6}\u{187f8}-\u{187ff}\u{18d09}-\u{18d1e}\u{18d80}-\u{18df2}\u{1e6c0}-\u{1e6de}\u{1e6e0}-\u{1e6e2}\u{1e6e4}-\u{1e6e5}\u{1e6e7}-\u{1e6ed}\u{1e6f0}-\u{1e6f4}\u{1e6fe}-\u{1e6ff}\u{2b73a}-\u{2b73f}\u{2cea2}-\u{2cead}\u{323b0}-\u{33479}' +
    // NFC: combining classes unknown to Rust's normalizer.
    '\u{7fd}\u{897}-\u{89f}\u{8ca}-\u{8d3}\u{9fe}\u{c3c}\u{d3b}-\u{d3c}\u{eba}\u{1715}\u{1abf}-\u{1add}\u{1ae0}-\u{1aeb}\u{1df6}-\u{1dfa}\u{a82c}\u{10d24}-\u{10d27}\u{10d69}-\u{10d6d}\u{10eab}-\u{10eac}\u{10efa}-\u{10efb}\u{10efd}-\u{10eff}\u{10f46}-\u{10f50}\u{10f82}-\u{10f85}\u{11070}\u{1133b}\u{113ce}-\u{113d0}\u{1145e}\u{11839}-\u{1183a}\u{1193d}-\u{1193e}\u{11943}\u{119e0}\u{11a34}\u{11a47}\u{11a99}\u{11d42}\u{11d44}-\u{11d45}\u{11d97}\u{11f41}-\u{11f42}\u{1612f}\u{16ff0}-\u{16ff1}\u{1e08f}\u{1e130}-\u{1e136}\u{1e2ae}\u{1e2ec}-\u{1e2ef}\u{1e4ec}-\u{1e4ef}\u{1e5ee}-\u{1e5ef}\u{1e6e3}\u{1e6e6}\u{1e6ee}-\u{1e6ef}\u{1e6f5}' +
    ']',
  'gu',
);

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in is was that for it with as his on be at by had are but from or have an they which one you were her all she there would their ' +
  'we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do ' +
  'first any my now such like our over man me even most made after also did many before must through back years where much your way well down ' +
  'should because each just those people how too little state good very make world still own see men work long get here between both life being ' +
  'under never day same another know while last might us great old year off come since against go came right used take three tokenizer gradient ' +
  'attention transformer embedding quantization inference distillation WebGPU JavaScript naïve café résumé coöperate Straße façade smörgåsbord'
).split(' ');
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'LL", "'D", "’s", "n't", "'"];
const CJK_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x4e00, 0x9fff],
  [0x4e00, 0x62ff],
  [0x3041, 0x3096],
  [0x30a1, 0x30fa],
  [0xac00, 0xd7a3],
  [0x20000, 0x2a6df],
];
const ZWJ_SEQUENCES = ['👨‍👩‍👧‍👦', '👩🏽‍💻', '🏳️‍🌈', '🧑🏿‍🤝‍🧑🏻', '👁️‍🗨️', '❤️‍🔥', '🐕‍🦺', '🏴‍☠️', '👨🏾‍🦰', '🤦🏼‍♂️'];
const LOOK_ALIKES = [
  '<|eot_id|>', '<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>user<|end_header_id|>', '<|im_start|>', '<|im_end|>', '<|endoftext|>',
  '</s>', '<s>', '<unk>', '<tool_call>', '</tool_call>', '<think>', '</think>', '<|fim_prefix|>', '<|eot_id', '<|im_end', '< /s>', '<|EOT_ID|>',
  '<|reserved_special_token_7|>', '<|reserved_special_token_250|>', '<<|eot_id|>>', '<|im_start|>assistant\n', '<0x0A>', '▁', '▁▁hello', 'Ġ', 'Ċ',
];
const CODE = [
  'function NAME(a, b) {\n  return a + b * NUMBER;\n}\n',
  'const NAME = [1, 2, 3].map((x) => x ** 2).filter(Boolean);\n',
  'def NAME(self, x: int = NUMBER) -> list[int]:\n    """Docstring."""\n    return [i for i in range(x) if i % 2 == 0]\n',
  '#include <stdio.h>\nint main(void) {\n\tprintf("%d\\n", NUMBER);\n\treturn 0;\n}\n',
  '    if (NAME != null && NAME.length >= NUMBER) { throw new Error(`bad ${NAME}`); }\n',
  'SELECT NAME, COUNT(*) FROM t WHERE id > NUMBER GROUP BY NAME;\n',
  '<div class="NAME">\n  <span>{{ NAME }}</span>\n</div>\n',
  '{"NAME": NUMBER, "nested": {"a": [true, false, null]}, "s": "\\u00e9"}\n',
  'fn NAME<T: Clone>(v: &[T]) -> Vec<T> { v.iter().cloned().collect() }\n',
  '    // TODO(NAME): handle the edge case where x == NUMBER\n',
  '$ npm run build && node dist/index.js --NAME=NUMBER 2>&1 | tee log.txt\n',
  '\t\t\tx += NUMBER;\r\n\t\t}\r\n',
];
