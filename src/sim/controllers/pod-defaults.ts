import type { ContainerSpec, PodSpec } from './workload-types.ts';

/** Options of {@link defaultPodSpec}. */
export interface PodDefaultOptions {
  /**
   * Default a pod template (inside a Deployment, Job…) rather than a Pod. The API server defaults
   * some fields only on Pods (enableServiceLinks, requests copied from limits, the service
   * account), so templates read back without them, and controllers compare templates verbatim.
   */
  template?: boolean;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The tag `parsers.ParseImageName` finds: none (→ "latest") unless a digest is given, so
 * `nginx@sha256:…` pulls IfNotPresent while `nginx` and `nginx:latest` pull Always.
 */
function imageTag(image: string): string {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon >= 0) return lastSegment.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultHandler(handler: unknown): void {
  if (!isObject(handler)) return;
  const httpGet = handler.httpGet;
  if (isObject(httpGet)) {
    httpGet.path ??= '/';
    httpGet.scheme ??= 'HTTP';
  }
}

function defaultProbe(probe: unknown): void {
  if (!isObject(probe)) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  defaultHandler(probe);
}

function defaultFieldRefs(source: unknown): void {
  if (!isObject(source)) return;
  if (isObject(source.fieldRef)) source.fieldRef.apiVersion ??= 'v1';
  if (isObject(source.resourceFieldRef)) source.resourceFieldRef.divisor ??= '0';
}

function defaultContainer(container: ContainerSpec, options: PodDefaultOptions, hostNetwork: boolean): void {
  container.imagePullPolicy ??= imageTag(container.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  container.resources ??= {};
  for (const port of container.ports ?? []) {
    port.protocol ??= 'TCP';
    if (hostNetwork && port.hostPort === undefined && port.containerPort !== undefined) {
      port.hostPort = port.containerPort;
    }
  }
  for (const env of container.env ?? []) defaultFieldRefs(env.valueFrom);
  defaultProbe(container.livenessProbe);
  defaultProbe(container.readinessProbe);
  defaultProbe(container.startupProbe);
  if (isObject(container.lifecycle)) {
    defaultHandler(container.lifecycle.postStart);
    defaultHandler(container.lifecycle.preStop);
  }
  if (!options.template) {
    // SetDefaults_Pod: requests default to limits, on Pods only, never on templates.
    const { limits } = container.resources;
    if (limits && Object.keys(limits).length > 0) {
      const requests = (container.resources.requests ??= {});
      for (const [name, value] of Object.entries(limits)) requests[name] ??= value;
    }
  }
}

function defaultVolume(volume: Json): void {
  const sources = Object.keys(volume).filter((key) => key !== 'name');
  if (sources.length === 0) volume.emptyDir = {};
  for (const kind of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const source = volume[kind];
    if (isObject(source)) source.defaultMode ??= 420;
  }
  if (isObject(volume.hostPath)) volume.hostPath.type ??= '';
  if (isObject(volume.downwardAPI) && Array.isArray(volume.downwardAPI.items)) {
    for (const item of volume.downwardAPI.items) defaultFieldRefs(item);
  }
  if (isObject(volume.projected) && Array.isArray(volume.projected.sources)) {
    for (const source of volume.projected.sources) {
      if (!isObject(source)) continue;
      if (isObject(source.serviceAccountToken)) source.serviceAccountToken.expirationSeconds ??= 3600;
      if (isObject(source.downwardAPI) && Array.isArray(source.downwardAPI.items)) {
        for (const item of source.downwardAPI.items) defaultFieldRefs(item);
      }
    }
  }
}

/**
 * Applies the defaults the API server's defaulting pass (SetDefaults_PodSpec, SetDefaults_Container,
 * SetDefaults_Probe, SetDefaults_Volume…, and on Pods SetDefaults_Pod plus the service account)
 * gives a pod spec, so objects created straight into the store read back like ones created over
 * HTTP. Returns a defaulted copy; fields already set are kept.
 */
export function defaultPodSpec(input: PodSpec | undefined, options: PodDefaultOptions = {}): PodSpec {
  const spec: PodSpec = structuredClone(input ?? {});
  spec.containers ??= [];
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  const hostNetwork = spec.hostNetwork === true;
  for (const container of spec.initContainers ?? []) defaultContainer(container, options, hostNetwork);
  for (const container of spec.containers) defaultContainer(container, options, hostNetwork);
  for (const volume of spec.volumes ?? []) defaultVolume(volume);
  if (!options.template) {
    spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
    spec.enableServiceLinks ??= true;
  }
  // The v1 conversion always mirrors the deprecated field, on templates too.
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  return spec;
}
