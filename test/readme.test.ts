import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The README speaks to users: every target `make help` lists is documented there, and it
// points at nothing outside the repository (such as the developers' ../shared notes).
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every target make help lists', () => {
    const help = execFileSync('make', ['--no-print-directory', 'help'], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
    });
    const targets = help
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0])
      .filter((t): t is string => Boolean(t));
    expect(targets.length).toBeGreaterThan(10);
    // `make <target>` followed by neither a word character nor a hyphen (`make test` is not `make test-x`).
    const missing = targets.filter((t) => !new RegExp(`make ${t}(?![\\w-])`).test(readme));
    expect(missing, 'targets of make help not mentioned as `make <target>` in README.md').toEqual(
      [],
    );
  });

  it('links to nothing outside the repository', () => {
    expect(readme).not.toMatch(/\.\.\/shared|\]\(\.\.\//);
  });
});
