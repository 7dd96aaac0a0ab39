#!/usr/bin/env node
/**
 * `npm test`: typecheck, lint, build, unit and integration tests (Vitest), end-to-end tests
 * (Playwright in Debian's Chromium). Every stage runs even when an earlier one failed, so one run
 * shows everything that is wrong. The last line sums every suite: `N passed, N failed, N skipped`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => resolve(repo, 'node_modules/.bin', name);
const countsFile = resolve(repo, 'test-results/vitest-counts.json');
const e2eResults = resolve(repo, 'test-results/e2e/results.json');

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function run(label, cmd, args, env = {}) {
  const started = Date.now();
  process.stdout.write(`\n=== ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: repo, stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`=== ${label}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${seconds} s\n`);
  return r.status === 0;
}

/** A check that is not a test runner (typecheck, lint, build) counts as one test. */
function check(label, cmd, args) {
  const ok = run(label, cmd, args);
  if (ok) totals.passed++;
  else {
    totals.failed++;
    failures.push(label);
  }
  return ok;
}

mkdirSync(resolve(repo, 'test-results'), { recursive: true });
rmSync(countsFile, { force: true });
rmSync(e2eResults, { force: true });

check('typecheck', 'npm', ['run', '--silent', 'typecheck']);
check('lint', bin('eslint'), ['.']);
const built = check('build', bin('electron-vite'), ['build']);

const vitestOk = run('unit and integration tests (Vitest)', bin('vitest'), ['run'], { TCPLAB_COUNTS_FILE: countsFile });
if (existsSync(countsFile)) {
  const c = JSON.parse(readFileSync(countsFile, 'utf8'));
  totals.passed += c.passed;
  totals.failed += c.failed;
  totals.skipped += c.skipped;
  if (!vitestOk && c.failed === 0) {
    totals.failed++;
    failures.push('vitest exited with an error outside any test');
  }
} else {
  totals.failed++;
  failures.push('vitest wrote no counts');
}

if (built) {
  const e2eOk = run('end-to-end tests (Playwright, Chromium)', bin('playwright'), ['test']);
  if (existsSync(e2eResults)) {
    const stats = JSON.parse(readFileSync(e2eResults, 'utf8')).stats;
    totals.passed += stats.expected + stats.flaky;
    totals.failed += stats.unexpected;
    totals.skipped += stats.skipped;
    if (!e2eOk && stats.unexpected === 0) {
      totals.failed++;
      failures.push('playwright exited with an error outside any test');
    }
  } else {
    totals.failed++;
    failures.push('playwright wrote no results');
  }
} else {
  totals.failed++;
  failures.push('end-to-end tests not run: the build failed');
}

if (failures.length > 0) process.stdout.write(`\nFailed stages: ${failures.join('; ')}\n`);
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(totals.failed > 0 ? 1 : 0);
