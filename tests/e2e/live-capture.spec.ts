import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { missing } from '../support/requirements';
import { artifactsDir, startServe, type Served } from './serve-fixture';

const why = missing('root', 'ping');
let served: Served | undefined;
test.beforeAll(async () => {
  if (why === null) served = await startServe();
});
test.afterAll(async () => {
  await served?.stop();
});

test('live capture from an interface: BPF filter errors, packets, pause, libpcap counters', async ({ page }, testInfo) => {
  testInfo.skip(why !== null, `live capture needs it: ${why}`);
  await page.goto(served!.url);
  await page.getByTestId('locale-select').selectOption('en');
  await expect(page.getByTestId('iface-select').locator('option[value="lo"]')).toHaveCount(1);
  await page.getByTestId('iface-select').selectOption('lo');

  // libpcap's own message for a filter it cannot compile, and no session made.
  await page.getByTestId('iface-filter').fill('tcp port');
  await page.getByTestId('iface-start').click();
  await expect(page.getByTestId('iface-error')).toContainText('syntax error');
  await expect(page.getByTestId('session-item')).toHaveCount(1);

  await page.getByTestId('iface-filter').fill('icmp and host 127.0.0.43');
  await page.getByTestId('iface-start').click();
  await expect(page.getByTestId('session-item')).toHaveCount(2);
  await new Promise<void>((r) => execFile('ping', ['-c', '3', '-i', '0.2', '127.0.0.43'], () => r()));
  await expect(page.getByTestId('status-packets')).toHaveText('6');
  await expect(page.getByTestId('packet-row').filter({ hasText: 'ICMP echo request' })).toHaveCount(3);
  await expect(page.getByTestId('pcap-stats')).toContainText('dropped by the kernel');

  await page.getByTestId('session-pause').click();
  await expect(page.getByTestId('session-resume')).toBeVisible();
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: resolve(artifactsDir, 'live-capture-lo.png') });
  await page.getByTestId('session-resume').click();
  await expect(page.getByTestId('session-pause')).toBeVisible();
});
