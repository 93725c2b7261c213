import { parser } from '@prometheus-io/lezer-promql';

/** One `metric{matchers}` of an expression. */
export interface Selector {
  readonly metric: string;
  /** Label names its matchers use (without `__name__`). */
  readonly labels: string[];
}

/** What the PromQL parser found in one expression. */
export interface ParsedExpr {
  /** Metric names the expression selects (`foo` in `foo{...}`, or `{__name__="foo"}`). */
  readonly metrics: string[];
  readonly selectors: Selector[];
  /** Label names of every `by (…)`, `without (…)`, `on (…)` and `ignoring (…)`. */
  readonly groupingLabels: string[];
  /** Destination labels of `label_replace` (they exist on no metric). */
  readonly createdLabels: string[];
  /** Syntax errors, as `offset: text around it`; empty when the expression parses. */
  readonly errors: string[];
}

const unquote = (s: string): string => s.replace(/^"|"$/g, '');

/**
 * Parses `expr` with Prometheus' own grammar (@prometheus-io/lezer-promql). The parser
 * never throws: errors are error nodes, collected here. A regex `__name__` matcher is
 * reported as an error, because the metrics it selects cannot be checked.
 */
export function parsePromQL(expr: string): ParsedExpr {
  const errors: string[] = [];
  const selectors: Selector[] = [];
  const groupingLabels = new Set<string>();
  const createdLabels = new Set<string>();
  const text = (from: number, to: number) => expr.slice(from, to);
  parser.parse(expr).iterate({
    enter(ref) {
      const node = ref.node;
      if (ref.type.isError) {
        errors.push(
          `${ref.from}: ${JSON.stringify(text(Math.max(0, ref.from - 20), ref.to + 20))}`,
        );
      } else if (ref.name === 'LabelName' && node.parent?.name === 'GroupingLabels') {
        groupingLabels.add(text(ref.from, ref.to));
      } else if (
        ref.name === 'FunctionCall' &&
        node.getChild('FunctionIdentifier')?.getChild('LabelReplace')
      ) {
        const dst = node.getChild('FunctionCallBody')?.getChildren('StringLiteral')[0];
        if (dst) createdLabels.add(unquote(text(dst.from, dst.to)));
      } else if (ref.name === 'VectorSelector') {
        const id = node.getChild('Identifier');
        let metric = id ? text(id.from, id.to) : '';
        const labels: string[] = [];
        const matchers = node.getChild('LabelMatchers');
        for (const m of [
          ...(matchers?.getChildren('UnquotedLabelMatcher') ?? []),
          ...(matchers?.getChildren('QuotedLabelMatcher') ?? []),
        ]) {
          const parts = /^("?[^"=!~]+"?)\s*(=~|!~|!=|=)\s*"(.*)"$/.exec(text(m.from, m.to));
          const name = unquote(parts?.[1]?.trim() ?? '');
          if (name !== '__name__') labels.push(name);
          else if (parts?.[2] === '=' && parts[3]) metric = parts[3];
          else
            errors.push(`${m.from}: __name__ ${parts?.[2] ?? '?'} matcher selects unknown metrics`);
        }
        if (metric) selectors.push({ metric, labels });
      }
    },
  });
  return {
    metrics: [...new Set(selectors.map((s) => s.metric))],
    selectors,
    groupingLabels: [...groupingLabels],
    createdLabels: [...createdLabels],
    errors,
  };
}
