import { expect, test } from '@playwright/test';
import { resolve } from 'node:path';
import { repo, startServe, type Served } from './serve-fixture';

const demo = resolve(repo, 'resources/demo/tcp-demo.pcapng');
let served: Served;
test.beforeAll(async () => {
  served = await startServe();
});
test.afterAll(async () => {
  await served?.stop();
});

test('a capture opens by file picker (sent in chunks) and by path, and is remembered as recent', async ({ page }) => {
  await page.goto(served.url);
  await page.getByTestId('locale-select').selectOption('en');
  await expect(page.getByTestId('session-item')).toHaveCount(1);

  await page.getByTestId('file-input').setInputFiles(demo);
  await expect(page.getByTestId('session-item')).toHaveCount(2);
  await expect(page.getByTestId('session-item').nth(1)).toContainText('tcp-demo.pcapng');
  await expect(page.getByTestId('status-packets')).toHaveText('18');

  await page.getByTestId('open-path').fill(demo);
  await page.getByTestId('open-path').press('Enter');
  await expect(page.getByTestId('session-item')).toHaveCount(3);
  await expect(page.getByTestId('status-packets')).toHaveText('18');
  await expect(page.getByText('Recent files')).toBeVisible();

  // A path that does not exist is refused with a clear message, and no session is made.
  await page.getByTestId('open-path').fill('/nonexistent/none.pcap');
  await page.getByTestId('open-path').press('Enter');
  await expect(page.getByRole('alert')).toContainText('cannot open /nonexistent/none.pcap: no such file');
  await expect(page.getByTestId('session-item')).toHaveCount(3);

  // Closing a session removes it.
  await page.getByTestId('session-close').nth(2).click();
  await expect(page.getByTestId('session-item')).toHaveCount(2);
});
