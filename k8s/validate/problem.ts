/** One finding of the manifest checks, naming the object and where in it. */
export interface Problem {
  /** Which check found it: `schema`, `fields`, or a lint rule id such as `no-latest-tag`. */
  readonly check: string;
  /** `Kind/name` of the offending object. */
  readonly object: string;
  /** JSON pointer-ish path inside the object, when known. */
  readonly path?: string;
  readonly message: string;
}

/** `Kind/name` for messages; tolerant of malformed objects, which is what we report on. */
export function objectRef(object: Readonly<Record<string, unknown>>): string {
  const kind = typeof object.kind === 'string' ? object.kind : '<no kind>';
  const metadata = object.metadata as { name?: unknown } | undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : '<no name>';
  return `${kind}/${name}`;
}

/** One line per problem, for CLI output and test failure messages. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems
    .map((p) => `[${p.check}] ${p.object}${p.path ? ` ${p.path}` : ''}: ${p.message}`)
    .join('\n');
}
