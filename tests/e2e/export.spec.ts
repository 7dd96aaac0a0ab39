import { expect, test } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { artifactsDir, startServe, type Served } from './serve-fixture';

/**
 * Export from the UI (issue 9 §7) and Save session… → reopen (§6), through the browser shell on
 * the handshake lab: the saved file reopens with slanted arrows and the stack's own states.
 */
const work = mkdtempSync(join(tmpdir(), 'tcplab-e2e-export-'));
let lab: Served;
test.beforeAll(async () => {
  lab = await startServe(['--lab', 'handshake']);
});
test.afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('ladder: PNG, CSV and the conversation pcapng download from main', async ({ page }) => {
  await page.goto(lab.url);
  await page.getByTestId('locale-select').selectOption('en');
  await page.locator('[data-tab="ladder"]').click();
  await expect(page.getByTestId('conversation-select')).toContainText('192.0.2.1');
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
  const bytes = readFileSync((await png.path())!);
  expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  expect(png.suggestedFilename()).toBe('ladder-stream-0.png');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect(readFileSync((await csv.path())!, 'utf8')).toMatch(/^frame,time,rxTime,direction/);
  const [cap] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-conv-pcapng').click()]);
  expect(readFileSync((await cap.path())!).readUInt32LE(0)).toBe(0x0a0d0d0a);
});

test('Save session… writes a pcapng that reopens with slanted arrows and true states', async ({ page }) => {
  await page.goto(lab.url);
  await page.getByTestId('locale-select').selectOption('en');
  await expect(page.getByTestId('capture-export')).toBeVisible();
  const [pcap] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-pcap').click()]);
  expect(readFileSync((await pcap.path())!).readUInt32LE(0)).toBe(0xa1b2c3d4);
  const out = join(work, 'handshake-saved.pcapng');
  await page.getByTestId('save-session').click();
  await page.getByTestId('save-path').fill(out);
  await page.getByTestId('save-now').click();
  await expect(page.getByTestId('save-message')).toContainText('probe events');
  expect(existsSync(out)).toBe(true);

  const reopened = await startServe([out]);
  try {
    await page.goto(reopened.url);
    await page.getByTestId('locale-select').selectOption('en');
    await page.locator('[data-tab="ladder"]').click();
    await expect(page.getByTestId('conversation-select')).toContainText('192.0.2.1');
    await page.getByTestId('zoom-fit').click();
    const arrows = page.getByTestId('ladder-arrow');
    await expect(arrows.first()).toBeVisible();
    const n = await arrows.count();
    expect(await page.locator('.segment.both').count()).toBe(n);
    expect(await page.locator('.state.inferred').count()).toBe(0);
    await expect(page.getByTestId('ladder-legend')).toContainText('reported by tcplab');
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: resolve(artifactsDir, 'export-reopened-handshake.png') });
  } finally {
    await reopened.stop();
  }
});
