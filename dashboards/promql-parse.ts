import { parser } from '@prometheus-io/lezer-promql';

/** What the PromQL parser found in one expression. */
export interface ParsedExpr {
  /** Metric names the expression selects (`foo` in `foo{...}`, or `{__name__="foo"}`). */
  readonly metrics: string[];
  /** Syntax errors, as `offset: text around it`; empty when the expression parses. */
  readonly errors: string[];
}

/**
 * Parses `expr` with Prometheus' own grammar (@prometheus-io/lezer-promql). The parser
 * never throws: errors are error nodes, collected here. A regex `__name__` matcher is
 * reported as an error, because the metrics it selects cannot be checked.
 */
export function parsePromQL(expr: string): ParsedExpr {
  const metrics = new Set<string>();
  const errors: string[] = [];
  const text = (from: number, to: number) => expr.slice(from, to);
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push(
          `${node.from}: ${JSON.stringify(text(Math.max(0, node.from - 20), node.to + 20))}`,
        );
      } else if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        metrics.add(text(node.from, node.to));
      } else if (node.name === 'UnquotedLabelMatcher' || node.name === 'QuotedLabelMatcher') {
        const m = /^"?__name__"?\s*(=~|!~|!=|=)\s*"(.*)"$/.exec(text(node.from, node.to));
        if (m?.[1] === '=' && m[2]) metrics.add(m[2]);
        else if (m) errors.push(`${node.from}: __name__ ${m[1]} matcher selects unknown metrics`);
      }
    },
  });
  return { metrics: [...metrics], errors };
}
