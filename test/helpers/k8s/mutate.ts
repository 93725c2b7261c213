import type { Manifest } from '../../../k8s/validate/manifest-view.ts';

/** A deep copy of `objects` with `value` written at `pointer` (`/spec/replicas`) of the first `kind`; `undefined` deletes. */
export function mutate(
  objects: readonly Manifest[],
  kind: string,
  pointer: string,
  value: unknown,
): Array<Record<string, unknown>> {
  const copy = structuredClone(objects) as Array<Record<string, unknown>>;
  const target = copy.find((o) => o.kind === kind);
  if (target === undefined) throw new Error(`no ${kind} to mutate`);
  const keys = pointer.split('/').slice(1);
  const last = keys.pop();
  if (last === undefined) throw new Error(`bad pointer ${pointer}`);
  let node: Record<string, unknown> = target;
  for (const key of keys) {
    const next = node[key];
    if (next === null || typeof next !== 'object')
      throw new Error(`${pointer}: no object at ${key}`);
    node = next as Record<string, unknown>;
  }
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}
