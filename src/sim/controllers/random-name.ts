/** The alphabet of apimachinery's util/rand: no vowels, so no accidental words in names. */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const MAX_NAME_LENGTH = 63;
const SUFFIX_LENGTH = 5;

/** `rand.String(n)`: n characters of {@link SAFE_ALPHABET} drawn from `random`. */
export function randomSuffix(random: () => number, length = SUFFIX_LENGTH): string {
  let suffix = '';
  for (let index = 0; index < length; index += 1) {
    suffix += SAFE_ALPHABET[Math.floor(random() * SAFE_ALPHABET.length)] ?? 'b';
  }
  return suffix;
}

/**
 * The name the API server's `names.SimpleNameGenerator` makes from a generateName: the prefix cut to
 * leave room for the 5-character suffix, then the suffix.
 */
export function generateName(prefix: string, random: () => number): string {
  const base =
    prefix.length > MAX_NAME_LENGTH - SUFFIX_LENGTH
      ? prefix.slice(0, MAX_NAME_LENGTH - SUFFIX_LENGTH)
      : prefix;
  return `${base}${randomSuffix(random)}`;
}
