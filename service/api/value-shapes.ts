import type { ValuePolicy, ValueSchema } from '../cache/validating-cache.ts';
import type { ApiRoute } from './routes-table.ts';

/**
 * What each key pattern of the example API holds (the values of `MetaSheetSource`), and
 * the schema version of that shape. Change a shape → bump its `version`: values cached
 * under the old version are then rejected on read (counted, deleted, refilled), never
 * served. `value-shapes.test.ts` records each shape with its version and fails when one
 * changes without a bump.
 */

/**
 * Checks one value: `undefined` = fine, else what is wrong, relative to the value
 * (`[3].id is not an integer`); parents prefix their part of the path only on failure,
 * so a value that passes allocates nothing (this runs on every cache hit).
 */
type Check = ((value: unknown) => string | undefined) & { readonly spec: string };

const check = (spec: string, fn: (value: unknown) => string | undefined): Check =>
  Object.assign(fn, { spec });

const int = check('int', (v) => (Number.isSafeInteger(v) ? undefined : ' is not an integer'));
const num = check('number', (v) =>
  typeof v === 'number' && Number.isFinite(v) ? undefined : ' is not a number',
);
const str = check('string', (v) => (typeof v === 'string' ? undefined : ' is not a string'));
const strOrNum = check('string|number', (v) =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))
    ? undefined
    : ' is neither a string nor a number',
);

/** An array of `item`s, at most `maxLength` long. */
const arrayOf = (item: Check, maxLength = 10_000): Check =>
  check(`${item.spec}[]`, (v) => {
    if (!Array.isArray(v)) return ' is not an array';
    if (v.length > maxLength) return ` has more than ${maxLength} items`;
    for (let i = 0; i < v.length; i++) {
      const bad = item(v[i]);
      if (bad !== undefined) return `[${i}]${bad}`;
    }
    return undefined;
  });

/** A plain object with exactly these fields (an extra field is a wrong shape too). */
const exactly = (fields: Record<string, Check>): Check => {
  const checks = Object.entries(fields);
  const names = checks.map(([n]) => n).join(',');
  return check(`{${checks.map(([n, c]) => `${n}:${c.spec}`).join(',')}}`, (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return ' is not an object';
    const record = v as Record<string, unknown>;
    let count = 0;
    for (const k in record) {
      if (!Object.hasOwn(fields, k)) return ` has field ${k}, expected only ${names}`;
      count++;
    }
    if (count !== checks.length) return ` has ${count} fields, expected ${names}`;
    for (const [n, c] of checks) {
      const bad = c(record[n]);
      if (bad !== undefined) return `.${n}${bad}`;
    }
    return undefined;
  });
};

type ApiKeyPattern = ApiRoute['keyPattern'];

/** Every key pattern of the API with its current version and shape. */
export const VALUE_SHAPES: Readonly<Record<ApiKeyPattern, { version: number; shape: Check }>> = {
  sheet: {
    version: 1,
    shape: exactly({
      id: int,
      title: str,
      ownerId: int,
      columns: arrayOf(str),
      updatedAt: str,
      version: int,
    }),
  },
  rows: { version: 1, shape: arrayOf(exactly({ n: int, cells: arrayOf(strOrNum) })) },
  formula: { version: 1, shape: arrayOf(exactly({ cell: str, formula: str, value: num })) },
  comments: { version: 1, shape: arrayOf(exactly({ by: int, text: str })) },
  user: { version: 1, shape: exactly({ id: int, name: str, email: str }) },
  perm: { version: 1, shape: exactly({ userId: int, role: str, sheets: arrayOf(int) }) },
};

const SCHEMAS: ReadonlyMap<string, ValueSchema> = new Map(
  Object.entries(VALUE_SHAPES).map(([pattern, { version, shape }]) => [
    pattern,
    {
      version,
      check: (value: unknown) => {
        const bad = shape(value);
        return bad === undefined ? undefined : `${pattern}${bad}`;
      },
    },
  ]),
);

/** The value policy of the example API (what `buildDeps` gives the registry). */
export const API_VALUE_POLICY: ValuePolicy = {
  schemaFor: (pattern) => SCHEMAS.get(pattern),
  maxDepth: 32,
};
