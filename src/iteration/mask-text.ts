/** Replaces every match of the mask patterns with "[masked]", keeping a `key: ` prefix when captured. */
export function maskText(text: string, patterns: readonly RegExp[]): string {
  let masked = text;
  for (const pattern of patterns) {
    masked = masked.replace(pattern, (match: string, ...groups: unknown[]) => {
      const key = groups[0];
      const separator = groups[1];
      return typeof key === 'string' && typeof separator === 'string'
        ? `${key}${separator}[masked]`
        : '[masked]';
    });
  }
  return masked;
}
