// The kubelet's quantity helpers are the shared ones; kept as a module path for its imports.
export * from '../../kube/quantity.ts';
