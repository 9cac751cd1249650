/**
 * transformers' `clean_up_tokenization`: removes the space that word-level tokenizers put before
 * punctuation and English contractions. Applied by `decode` when tokenizer_config.json's
 * `clean_up_tokenization_spaces` is true (Llama 3's is), exactly as Python transformers does.
 */
export function cleanUpTokenizationSpaces(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
