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
  host.getSourceFile = (name, languageVersion, ...rest) => {
    if (name === fileName) return ts.createSourceFile(name, source, languageVersion);
    const cached = declarationCache.get(name);
    if (cached !== undefined) return cached;
    const parsed = getSourceFile(name, languageVersion, ...rest);
    if (parsed !== undefined && name.endsWith('.d.ts')) declarationCache.set(name, parsed);
    return parsed;
  };
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const sourceFile = program.getSourceFile(fileName);
  return ts.getPreEmitDiagnostics(program, sourceFile).map((d) => ({
    line:
      sourceFile && d.start !== undefined
        ? sourceFile.getLineAndCharacterOfPosition(d.start).line
        : -1,
    code: d.code,
    message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
  }));
}
