import { expect, test } from '@playwright/test';
import { startServe } from './serve-fixture';

/**
 * `tcplab serve` stops on SIGTERM even with a tab open (its WebSocket is closed with 1001 Going
 * Away; before, the server waited for the tab forever), and the page says the backend went away.
 */
test('serve stops with a page open; the page says the backend closed and keeps what it shows', async ({ page }) => {
  const served = await startServe(['--lab', 'handshake']);
  try {
    await page.goto(served.url);
    await page.getByTestId('locale-select').selectOption('en');
    await expect(page.getByTestId('packet-row').first()).toBeVisible();
    const rows = await page.getByTestId('packet-row').count();
    await expect(page.getByTestId('backend-closed')).toHaveCount(0);
    // The test's own timeout catches a serve that does not exit.
    await served.stop();
    expect(served.child.exitCode).toBe(0);
    await expect(page.getByTestId('backend-closed')).toContainText('tcplab serve is stopping');
    await expect(page.getByTestId('backend-closed')).toContainText('start `tcplab serve` again');
    await expect(page.getByTestId('packet-row')).toHaveCount(rows);
  } finally {
    if (served.child.exitCode === null) served.child.kill('SIGKILL');
  }
});
