import { describe, expect, it } from 'vitest';
import { WriteLog } from './write-log.ts';

describe('WriteLog', () => {
  it('a write overlaps only the loads of what it changes', () => {
    const w = new WriteLog();
    const sheet = w.stamp();
    const user = w.stamp();
    w.write(['sheet:1']);
    expect(w.overlapped(sheet, 'rows:1', ['sheet:1'])).toBe(true);
    expect(w.overlapped(sheet, 'sheet:1', [])).toBe(true); // by key name as well
    expect(w.overlapped(user, 'user:1', ['user:1'])).toBe(false);
    expect(w.overlapped(sheet, 'rows:2', ['sheet:2'])).toBe(false);
    const later = w.stamp(); // started after the write: it reads the new data
    expect(w.overlapped(later, 'rows:1', ['sheet:1'])).toBe(false);
    w.finish();
    w.finish();
    w.finish();
  });

  it('forgets when no load runs', () => {
    const w = new WriteLog();
    const s = w.stamp();
    w.write(['sheet:1']);
    expect(w.size).toBe(1);
    expect(w.overlapped(s, 'rows:1', ['sheet:1'])).toBe(true);
    w.finish();
    expect(w.size).toBe(0);
    const next = w.stamp();
    expect(w.overlapped(next, 'rows:1', ['sheet:1'])).toBe(false);
    w.finish();
  });

  it('stays bounded under steady load: past 10,000 tags it forgets and treats older loads as overlapped', () => {
    const w = new WriteLog();
    const old = w.stamp();
    for (let i = 0; i <= 10_000; i++) w.write([`sheet:${i}`]);
    expect(w.size).toBeLessThanOrEqual(10_000);
    expect(w.overlapped(old, 'user:1', ['user:1'])).toBe(true);
    const fresh = w.stamp();
    expect(w.overlapped(fresh, 'user:1', ['user:1'])).toBe(false);
  });
});
