/**
 * Writes Vitest's pass/fail/skip counts to a JSON file so scripts/test-all.js can print the one
 * closing line `N passed, N failed, N skipped` that CI reads, summed over every suite it ran.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load counts as one failure, or a syntax error would pass silently.
      if (mod.state() === 'failed' && mod.children.size === 0) failed++;
    }
    const out = process.env.TCPLAB_COUNTS_FILE;
    if (out) {
      mkdirSync(new URL('.', `file://${out}`).pathname, { recursive: true });
      writeFileSync(out, JSON.stringify({ suite: 'vitest', passed, failed, skipped }));
    }
  }
}
