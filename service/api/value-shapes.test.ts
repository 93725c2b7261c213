import { describe, expect, it } from 'vitest';
import { MetaSheetSource } from '../source/metasheet-source.ts';
import { API_KEY_PATTERNS } from './routes-table.ts';
import { API_VALUE_POLICY, VALUE_SHAPES } from './value-shapes.ts';

/**
 * Each pattern's shape as recorded with its version. A shape change without a version bump
 * fails here: bump `version` in value-shapes.ts, then record the new spec below.
 */
const RECORDED: Record<string, string> = {
  sheet: 'v1 {id:int,title:string,ownerId:int,columns:string[],updatedAt:string,version:int}',
  rows: 'v1 {n:int,cells:string|number[]}[]',
  formula: 'v1 {cell:string,formula:string,value:number}[]',
  comments: 'v1 {by:int,text:string}[]',
  user: 'v1 {id:int,name:string,email:string}',
  perm: 'v1 {userId:int,role:string,sheets:int[]}',
};

describe('value shapes of the example API', () => {
  it('covers every key pattern the API caches', () => {
    expect(Object.keys(VALUE_SHAPES).sort()).toEqual([...API_KEY_PATTERNS].sort());
  });

  it('records every shape with its version (a shape change needs a version bump)', () => {
    const now = Object.fromEntries(
      Object.entries(VALUE_SHAPES).map(([p, s]) => [p, `v${s.version} ${s.shape.spec}`]),
    );
    expect(now).toEqual(RECORDED);
  });

  it('accepts every value the source produces (no false rejections), and rejects others', async () => {
    const s = new MetaSheetSource({ latencyScale: 0 });
    const ok = (pattern: string, value: unknown) =>
      expect(API_VALUE_POLICY.schemaFor(pattern)?.check(value), pattern).toBeUndefined();
    for (let id = 1; id <= 300; id++) {
      ok('sheet', await s.sheet(id, 0));
      ok('rows', await s.rows(id, 0));
      ok('formula', await s.formulas(id, 0));
      ok('comments', await s.comments(id, 0));
      ok('user', await s.user(id, 0));
      ok('perm', await s.permissions(id, 0));
    }
    ok('sheet', await s.updateSheet(3, 'renamed', 0));
    const user = API_VALUE_POLICY.schemaFor('user');
    expect(user?.check({ id: 1, name: 'a' })).toMatch(/user has 2 fields, expected id,name,email/);
    expect(user?.check({ id: 1.5, name: 'a', email: 'b' })).toMatch(/user\.id is not an integer/);
    expect(API_VALUE_POLICY.schemaFor('rows')?.check([{ n: 0, cells: [{}] }])).toMatch(
      /rows\[0\]\.cells\[0\] is neither/,
    );
  });
});
