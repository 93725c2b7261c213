import { checkKnownFields } from './fields.ts';
import { CONFIG_RULES } from './lint-config.ts';
import { type LintRule, POD_RULES } from './lint-pod.ts';
import { WIRING_RULES } from './lint-wiring.ts';
import type { Manifest } from './manifest-view.ts';
import type { Problem } from './problem.ts';
import { checkSchemas } from './schemas.ts';

export type { LintRule } from './lint-pod.ts';
export { formatProblems, type Problem } from './problem.ts';

/** Every lint rule, run in this order by {@link validateManifests}. */
export const LINT_RULES: readonly LintRule[] = [...POD_RULES, ...WIRING_RULES, ...CONFIG_RULES];

/**
 * All offline checks of a set of manifests: JSON schemas (types, required fields, enums),
 * known fields (no unknown or misspelt keys) and the lint rules. Empty means deployable.
 */
export function validateManifests(objects: readonly Manifest[]): Problem[] {
  const plain = objects.map((o) => ({ ...o }));
  return [
    ...checkSchemas(plain),
    ...checkKnownFields(plain),
    ...LINT_RULES.flatMap((rule) => rule.check(objects)),
  ];
}
