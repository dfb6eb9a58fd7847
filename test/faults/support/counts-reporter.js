// A Jest reporter: once the run ends, prints the counts every fault case recorded (see
// fault-report.ts) as one table, and leaves them in test/artifacts/faults/summary.md.
const fs = require('node:fs');
const path = require('node:path');

const DIR = path.join(__dirname, '..', '..', 'artifacts', 'faults');
const COLUMNS = [
  ['case', 'case'],
  ['requests', 'requests'],
  ['inHistory', 'in history'],
  ['doubledInHistory', 'twice in history'],
  ['delivered', 'delivered'],
  ['doubledAtProvider', 'twice at provider'],
  ['lost', 'lost'],
  ['refused', 'refused (typed)'],
  ['changed', 'rows changed'],
  ['notes', 'notes'],
];

class FaultCountsReporter {
  onRunStart() {
    fs.rmSync(DIR, { recursive: true, force: true });
  }

  onRunComplete() {
    if (!fs.existsSync(DIR)) return;
    const rows = fs
      .readdirSync(DIR)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8')));
    if (rows.length === 0) return;
    const cell = (row, key) => (row[key] === undefined ? '–' : String(row[key]));
    const lines = [
      `| ${COLUMNS.map(([, title]) => title).join(' | ')} |`,
      `| ${COLUMNS.map(() => '---').join(' | ')} |`,
      ...rows.map((row) => `| ${COLUMNS.map(([key]) => cell(row, key)).join(' | ')} |`),
    ];
    const table = lines.join('\n');
    fs.writeFileSync(path.join(DIR, 'summary.md'), `${table}\n`);
    process.stdout.write(`\nFault suite: what each case counted at its end\n\n${table}\n\n`);
  }
}

module.exports = FaultCountsReporter;
