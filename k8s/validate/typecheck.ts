import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One compiler diagnostic of a {@link typecheckSource} run. */
export interface SourceDiagnostic {
  /** 0-based line of the generated source. */
  readonly line: number;
  /** TypeScript error code (2353/2561: excess property in an object literal). */
  readonly code: number;
  readonly message: string;
}

/** Error codes of TypeScript's excess-property check ("may only specify known properties"). */
export const EXCESS_PROPERTY_CODES: ReadonlySet<number> = new Set([2353, 2561]);

/**
 * Parsed declaration files (TypeScript's lib, the model packages): immutable during a run, and
 * parsing them is most of the cost of a check, so repeated checks share them.
 */
const declarationCache = new Map<string, ts.SourceFile>();

/**
 * Type-checks one in-memory TypeScript module (strict) that lives beside this file, so
 * `node_modules` resolves as for the repo's own code. ~1 s for the first call, less after.
 */
export function typecheckSource(source: string): SourceDiagnostic[] {
  const fileName = fileURLToPath(new URL('./__known-fields__.ts', import.meta.url));
  return typecheckModules(new Map([[fileName, source]])).get(fileName) ?? [];
}

/**
 * Type-checks in-memory TypeScript modules (strict, ES2022, NodeNext) in one program, keyed
 * by absolute path: place them inside the repository so `node_modules` resolves as for its
 * own code. The diagnostics of each module, with the text of the line they point at.
 */
export function typecheckModules(
  modules: ReadonlyMap<string, string>,
): Map<string, (SourceDiagnostic & { readonly lineText: string })[]> {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    lib: ['lib.es2022.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    const text = modules.get(name);
    if (text !== undefined) return ts.createSourceFile(name, text, languageVersion);
    const cached = declarationCache.get(name);
    if (cached !== undefined) return cached;
    const parsed = getSourceFile(name, languageVersion, ...rest);
    if (parsed !== undefined && name.endsWith('.d.ts')) declarationCache.set(name, parsed);
    return parsed;
  };
  host.fileExists = (name) => modules.has(name) || fileExists(name);
  host.readFile = (name) => modules.get(name) ?? readFile(name);
  const program = ts.createProgram([...modules.keys()], options, host);
  const out = new Map<string, (SourceDiagnostic & { readonly lineText: string })[]>();
  for (const name of modules.keys()) {
    const sourceFile = program.getSourceFile(name);
    // Line starts are computed once per file by TypeScript: no split of the text per diagnostic.
    const starts = sourceFile?.getLineStarts() ?? [];
    out.set(
      name,
      ts.getPreEmitDiagnostics(program, sourceFile).map((d) => {
        const line =
          sourceFile && d.start !== undefined
            ? sourceFile.getLineAndCharacterOfPosition(d.start).line
            : -1;
        return {
          line,
          code: d.code,
          message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
          lineText:
            line < 0 ? '' : (sourceFile?.text.slice(starts[line], starts[line + 1]).trim() ?? ''),
        };
      }),
    );
  }
  return out;
}
