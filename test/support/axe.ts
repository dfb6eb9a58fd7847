import fs from 'node:fs';
import type { Page } from 'playwright-core';

/** axe-core's own script, injected into the page under test (the page's CSP does not apply to it). */
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** What axe found on every screen checked in this file, for the report at its end. */
export const axeReport: { screen: string; violations: AxeViolation[]; passes: number }[] = [];

/**
 * Runs axe-core (WCAG 2.x A and AA, and its best practices) on the page as it is now and records the
 * result under `screen`; returns the serious and critical violations.
 */
export async function checkAccessibility(page: Page, screen: string): Promise<AxeViolation[]> {
  // Strings, not functions: they run in the page, whose globals this project's types do not know.
  const loaded = await page.evaluate<boolean>("'axe' in window");
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const options = {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    resultTypes: ['violations'],
  };
  const result = await page.evaluate<{ passes: number; violations: AxeViolation[] }>(`(async () => {
    const run = await axe.run(document, ${JSON.stringify(options)});
    return {
      passes: run.passes.length,
      violations: run.violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? null,
        help: v.help,
        nodes: v.nodes.map((n) => n.target.join(' ')),
      })),
    };
  })()`);
  axeReport.push({ screen, ...result });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** The table of what axe found, one line per screen, for the test output. */
export function axeSummary(): string {
  const lines = axeReport.map(({ screen, violations, passes }) => {
    const count = (impact: string) => violations.filter((v) => v.impact === impact).length;
    const ids = violations.map((v) => `${v.id}(${v.impact})`).join(', ');
    return `${screen.padEnd(32)} critical ${count('critical')}  serious ${count('serious')}  moderate ${count('moderate')}  minor ${count('minor')}  rules passed ${passes}${ids ? `  [${ids}]` : ''}`;
  });
  return ['axe-core on every screen:', ...lines].join('\n');
}
