import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as root from '../../../index';
import * as client from '../../../client';
import * as workflows from '../../../workflows';

/**
 * The README and docs/ name paths, links and exports; each must exist, so a rename that forgets the
 * documentation fails here instead of misleading the next reader.
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const PAGES = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);
const TOP =
  /^(activities|bench|channels|cli|client|codec|config|db|deploy|dev|docs|domain|inbound|infra|server|test|worker|workflows|\.ci)\//;
const ENTRIES: Record<string, Record<string, unknown>> = {
  'livechat-temporal': root,
  'livechat-temporal/client': client,
  'livechat-temporal/workflows': workflows,
};
/** Every declared name in the shipped sources, for names imported as types only. */
const DECLARED = new Set(
  execFileSync(
    'git',
    ['grep', '-hoE', 'export (declare )?(interface|type|class|const|function|async function) [A-Za-z0-9_]+'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  )
    .split('\n')
    .map((line) => line.split(' ').pop() ?? ''),
);

function pathsOf(text: string): string[] {
  const found = new Set<string>();
  for (const [, code] of text.matchAll(/`([^`\n]+)`/g)) {
    const candidate = code!.replace(/:\d+(-\d+)?$/, '').replace(/[.,;]$/, '');
    // test/artifacts/ is what a test run writes (git-ignored), not a path of the repository.
    if (
      TOP.test(candidate) &&
      !/[*<>{}$ ]|\.\.\./.test(candidate) &&
      !candidate.startsWith('test/artifacts/')
    )
      found.add(candidate);
  }
  return [...found];
}

describe.each(PAGES)('%s', (page) => {
  const text = fs.readFileSync(path.join(ROOT, page), 'utf8');

  test('every path it names exists', () => {
    const missing = pathsOf(text).filter((p) => !fs.existsSync(path.join(ROOT, p)));
    expect(missing).toEqual([]);
  });

  test('every page it links to exists', () => {
    const missing = [...text.matchAll(/\]\(([^)#\s]+\.md)(#[^)]*)?\)/g)]
      .map(([, target]) => path.join(path.dirname(path.join(ROOT, page)), target!))
      .filter((target) => !fs.existsSync(target));
    expect(missing).toEqual([]);
  });

  test('every name its code imports from the package is exported by that entry point', () => {
    const missing: string[] = [];
    for (const [, names, entry] of text.matchAll(/import \{([^}]+)\} from '(livechat-temporal[^']*)'/g)) {
      const exported = ENTRIES[entry!];
      if (!exported) {
        missing.push(`${entry}: no such entry point`);
        continue;
      }
      for (const raw of names!.split(',')) {
        const name = raw
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)[0]!;
        if (!name) continue;
        const isType = raw.trim().startsWith('type ');
        if (!(name in exported) && !(isType && DECLARED.has(name))) missing.push(`${entry}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

test('every "rule N" the code cites has its heading in docs/rules.md', () => {
  const headings = new Set(
    [...fs.readFileSync(path.join(ROOT, 'docs', 'rules.md'), 'utf8').matchAll(/^### Rule (\d+)$/gm)].map(
      (m) => Number(m[1]),
    ),
  );
  const cited = new Set(
    execFileSync('git', ['grep', '-hoiE', 'rules? [0-9]+', '--', '*.ts'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((m) => Number(m.split(' ')[1])),
  );
  expect([...headings].sort((a, b) => a - b)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
  expect([...cited].filter((n) => !headings.has(n))).toEqual([]);
});
