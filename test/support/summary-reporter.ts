// Prints a plain "N passed, N failed, N skipped" line that CI logs can read,
// plus the tests that never ran (a crashed test process) and unhandled
// errors and the test files that failed to load, so none passes for skipped tests.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown> = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let notRun = 0;
    let brokenFiles = 0;
    for (const m of modules) {
      // a file that throws while loading (e.g. a required engine is missing) has no tests to count
      if (m.errors().length > 0) brokenFiles++;
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
    if (brokenFiles > 0) line += `, ${brokenFiles} test file${brokenFiles > 1 ? 's' : ''} failed to load`;
    if (unhandledErrors.length > 0) line += `, ${unhandledErrors.length} unhandled error${unhandledErrors.length > 1 ? 's' : ''}`;
    console.log(`\n${line}`);
  }
}
