import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { artifactsDir, startServe, type Served } from './serve-fixture';

let served: Served;
test.beforeAll(async () => {
  served = await startServe();
});
test.afterAll(async () => {
  await served?.stop();
});

test('the lab browser runs a lab as a new session, with its narrative in both languages', async ({ page }) => {
  await page.goto(served.url);
  await page.getByTestId('locale-select').selectOption('en');
  const select = page.getByTestId('lab-select');
  await expect(select.locator('option')).not.toHaveCount(0);
  await select.selectOption('ip-fragmentation');
  const narrative = page.getByTestId('lab-narrative');
  await expect(narrative).toContainText(/fragment/i);
  await page.getByTestId('locale-select').selectOption('zh-CN');
  await expect(narrative).toContainText(/分片/);

  await page.getByTestId('lab-seed').fill('7');
  await page.getByTestId('lab-run').click();
  // A second session appears, is selected, and its frames reach the Packets table.
  await expect(page.getByTestId('session-item')).toHaveCount(2);
  await expect(page.getByTestId('session-item').nth(1)).toHaveClass(/selected/);
  await expect(page.getByTestId('packet-row').first()).toBeVisible();
  await expect(page.getByTestId('packet-row').filter({ hasText: 'ICMP echo request' }).first()).toBeVisible();
  // tcpdump (without -v) prints a non-first fragment as the bare IP protocol.
  await expect(page.getByTestId('packet-row').filter({ hasText: 'ip-proto-1' }).first()).toBeVisible();
  await expect(page.getByTestId('status-packets')).not.toHaveText('0');
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: resolve(artifactsDir, 'lab-browser-ip-fragmentation-zh-CN.png') });
});
