import type { KubeObject } from '../api/kube-object.ts';
import { controllerRef } from './owner-refs.ts';
import type { PodTemplateSpec } from './workload-types.ts';

/**
 * `controller.GetPodFromTemplate`: a Pod with the template's labels, annotations, finalizers and
 * spec, `generateName: <owner>-`, and the owner's controller reference. Defaulting and admission
 * happen at create time (see createObject).
 */
export function podFromTemplate(template: PodTemplateSpec | undefined, owner: KubeObject): KubeObject {
  const meta = template?.metadata ?? {};
  const metadata: KubeObject['metadata'] = {
    generateName: `${owner.metadata.name ?? ''}-`,
    namespace: owner.metadata.namespace,
  };
  if (meta.labels && Object.keys(meta.labels).length > 0) metadata.labels = { ...meta.labels };
  if (meta.annotations && Object.keys(meta.annotations).length > 0)
    metadata.annotations = { ...meta.annotations };
  if (meta.finalizers && meta.finalizers.length > 0) metadata.finalizers = [...meta.finalizers];
  metadata.ownerReferences = [controllerRef(owner)];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: structuredClone(template?.spec ?? {}),
  };
}
