/** A resource quantity as it appears in JSON: "250m", "128Mi", or a bare number. */
export type QuantityValue = string | number;

const SUFFIXES: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/**
 * Parses a Kubernetes resource quantity ("250m", "1.5", "128Mi", "1e3", "2G") into base units
 * (cores or bytes). Unparseable values count as 0, as the scheduler never sees invalid ones: the
 * API server rejects them.
 */
export function parseQuantity(value: QuantityValue | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?([a-zA-Z]*)$/.exec(value.trim());
  if (!match) return 0;
  const multiplier = SUFFIXES[match[3] ?? ''];
  if (multiplier === undefined) return 0;
  return Number(match[1]) * 10 ** Number(match[2] ?? 0) * multiplier;
}

/** CPU in millicores, rounded up as the API server rounds sub-milli values. */
export function cpuMillis(value: QuantityValue | undefined): number {
  return Math.ceil(Math.round(parseQuantity(value) * 1e6) / 1000);
}

/** Bytes (or a plain count), rounded up. */
export function wholeUnits(value: QuantityValue | undefined): number {
  return Math.ceil(parseQuantity(value) - 1e-9);
}

/** Renders millicores the way nodes report them: "4" for whole cores, "3920m" otherwise. */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Renders bytes as kibibytes ("16393244Ki"), the unit kubelets report memory in. */
export function formatKi(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}
