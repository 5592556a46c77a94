/**
 * The `run` label of a run: its name, with the first 8 characters of its id appended unless the
 * name already is the default `run-<id8>`. Names are readable but may be reused once a run ended;
 * two retained runs sharing one series would make the counter drop when the older one leaves
 * retention, which Prometheus reads as a reset. The suffix keeps each run's series its own and the
 * label stable for the run's lifetime (at most 40 + 9 characters, within the 63 allowed).
 */
export function runLabel(run: { id: string; name: string }): string {
  const short = run.id.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  if (run.name === `run-${run.id.slice(0, 8)}` || short === '') return run.name;
  return `${run.name}-${short}`;
}
