/**
 * Resolves on the first SIGINT or SIGTERM so a long-running command can drain and clean up; a
 * second signal exits at once (graphile-worker's convention), for when the drain hangs.
 */
export function waitForShutdownSignal(
  onForce: () => void = () => process.exit(130),
): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) {
        onForce();
        return;
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
