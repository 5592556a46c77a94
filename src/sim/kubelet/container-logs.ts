import type { KubeObject } from '../api/kube-object.ts';
import type { ImageRef } from './image-ref.ts';
import type { ContainerSpec, ProbeSpec } from './kube-shapes.ts';

/** A host:port a test or init container talks to. */
export interface Target {
  readonly host: string;
  readonly port: number;
}

const TEST_TARGETS_ANNOTATION = 'kubesoak.io/test-targets';

/** True for helm test hook pods (helm.sh/hook lists "test", "test-success" or "test-failure"). */
export function isHelmTestPod(pod: KubeObject): boolean {
  const hook = pod.metadata.annotations?.['helm.sh/hook'] ?? '';
  return hook.split(',').some((part) => part.trim().startsWith('test'));
}

/**
 * What a test or wait-for container checks: the kubesoak.io/test-targets annotation
 * ("svc:port,svc2:port"), else URLs, `nc host port` and host:port words in its command.
 */
export function targetsOf(pod: KubeObject | undefined, container: ContainerSpec): Target[] {
  const found: Target[] = [];
  const add = (host: string, port: number) => {
    if (
      host &&
      Number.isInteger(port) &&
      port > 0 &&
      !found.some((target) => target.host === host && target.port === port)
    ) {
      found.push({ host, port });
    }
  };
  const annotation = pod?.metadata.annotations?.[TEST_TARGETS_ANNOTATION];
  if (annotation) {
    for (const entry of annotation.split(',')) {
      const [host = '', port = ''] = entry.trim().split(':');
      add(host, Number(port));
    }
    return found;
  }
  const text = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
  for (const match of text.matchAll(/\b(https?):\/\/([A-Za-z0-9.-]+)(?::(\d+))?/g)) {
    add(match[2] ?? '', match[3] ? Number(match[3]) : match[1] === 'https' ? 443 : 80);
  }
  for (const match of text.matchAll(
    /\bnc\s+(?:-[a-zA-Z]+\s+(?:\d+\s+)?)*([A-Za-z0-9][A-Za-z0-9.-]*)\s+(\d{1,5})\b/g,
  )) {
    add(match[1] ?? '', Number(match[2]));
  }
  for (const match of text.matchAll(/(?<![/:\w.-])([a-z0-9][a-z0-9.-]*[a-z0-9]):(\d{2,5})\b/g))
    add(match[1] ?? '', Number(match[2]));
  return found;
}

function commandText(container: ContainerSpec): string {
  return [...(container.command ?? []), ...(container.args ?? [])].join(' ');
}

/** Lines a container writes when it starts. */
export function startLines(
  pod: KubeObject,
  container: ContainerSpec,
  kind: 'init' | 'sidecar' | 'app',
  image: ImageRef,
  restart: number,
): string[] {
  const lines: string[] = [];
  const command = commandText(container);
  if (isHelmTestPod(pod)) {
    lines.push(`running test ${container.name} (${image.normalized})`);
    return lines;
  }
  if (kind === 'init') {
    lines.push(command ? `+ ${command}` : `starting init container ${container.name} (${image.normalized})`);
    return lines;
  }
  lines.push(`starting ${container.name} (image ${image.normalized}, restart ${restart})`);
  if (command) lines.push(`exec: ${command}`);
  const ports = container.ports ?? [];
  for (const port of ports)
    lines.push(`listening on 0.0.0.0:${port.containerPort ?? 0}${port.name ? ` (${port.name})` : ''}`);
  if (ports.length === 0 && !command) lines.push('ready to accept work');
  return lines;
}

/** Lines a run-to-completion container writes when it exits by itself. */
export function exitLines(
  pod: KubeObject,
  container: ContainerSpec,
  kind: 'init' | 'sidecar' | 'app',
  exitCode: number,
  elapsedMs: number,
): string[] {
  const targets = targetsOf(pod, container);
  const lines: string[] = [];
  const failed = exitCode !== 0;
  if (isHelmTestPod(pod)) {
    targets.forEach((target, index) => {
      const last = index === targets.length - 1;
      lines.push(
        `checking connection to ${target.host}:${target.port} ... ${failed && last ? 'failed: connection refused' : 'ok'}`,
      );
    });
    if (targets.length === 0)
      lines.push(`${commandText(container) || container.name} ... ${failed ? 'failed' : 'ok'}`);
    lines.push(failed ? '1 check failed' : 'all checks passed');
    return lines;
  }
  for (const target of targets) lines.push(`${target.host}:${target.port} is reachable`);
  if (failed) lines.push(`error: ${container.name} failed, exiting with code ${exitCode}`);
  else
    lines.push(
      `${kind === 'init' ? 'init container' : 'job'} ${container.name} done in ${(elapsedMs / 1000).toFixed(1)}s`,
    );
  return lines;
}

/** The access-log line an HTTP server writes for a kubelet probe (source is the node IP). */
export function probeAccessLine(
  nodeIP: string,
  probe: ProbeSpec,
  at: Date,
  statusCode: number,
): string | undefined {
  if (!probe.httpGet) return undefined;
  const month = at.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (value: number) => String(value).padStart(2, '0');
  const stamp = `${pad(at.getUTCDate())}/${month}/${at.getUTCFullYear()}:${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`;
  return `${nodeIP} - - [${stamp}] "GET ${probe.httpGet.path ?? '/'} HTTP/1.1" ${statusCode} 2 "-" "kube-probe/1.33"`;
}
