// Prints a plain "N passed, N failed, N skipped" line that CI logs can read,
// plus the tests that never ran (a crashed test process) and unhandled
// errors, so neither passes for skipped tests.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown> = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let notRun = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else if (state === 'skipped') skipped++;
        else notRun++;
      }
    }
    let line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    if (notRun > 0) line += `, ${notRun} not run`;
    if (unhandledErrors.length > 0) line += `, ${unhandledErrors.length} unhandled error${unhandledErrors.length > 1 ? 's' : ''}`;
    console.log(`\n${line}`);
  }
}
