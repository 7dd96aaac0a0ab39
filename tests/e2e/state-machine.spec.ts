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

test('the state machine shows both endpoints, follows the cursor and links transitions to segments', async ({ page }) => {
  await page.goto(served.url);
  await page.getByTestId('locale-select').selectOption('en');
  await expect(page.getByTestId('status-packets')).toHaveText('18');
  await page.locator('[data-tab="stateMachine"]').click();
  await expect(page.getByTestId('sm-diagram')).toBeVisible();
  // All eleven states (CLOSED drawn twice, as in RFC 9293 Figure 5).
  expect(await page.locator('[data-testid^="sm-node-"]').count()).toBe(12);

  // At the end of the demo: the client (A) is in TIME-WAIT, the server (B) CLOSED (bottom node).
  await expect(page.getByTestId('sm-node-TIME-WAIT')).toHaveClass(/current-a/);
  await expect(page.getByTestId('sm-node-CLOSED-END')).toHaveClass(/current-b/);
  await expect(page.getByTestId('sm-edge-synsent-estab')).toHaveClass(/lit-a/);
  await expect(page.getByTestId('sm-edge-listen-synrcvd')).toHaveClass(/lit-b/);
  await expect(page.getByTestId('sm-edge-finwait2-timewait')).toHaveClass(/lit-a/);
  const rows = page.getByTestId('sm-transition');
  expect(await rows.count()).toBe(10);
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: resolve(artifactsDir, 'state-machine-demo-end.png') });

  // Click A's SYN-SENT → ESTABLISHED: the cursor moves there; later transitions go dark.
  await rows.filter({ hasText: 'SYN-SENT → ESTABLISHED' }).click();
  await expect(page.getByTestId('sm-node-ESTABLISHED')).toHaveClass(/current-a/);
  await expect(page.getByTestId('sm-node-SYN-RECEIVED')).toHaveClass(/current-b/);
  await expect(page.getByTestId('sm-edge-estab-finwait1')).not.toHaveClass(/lit-a/);
  await expect(page.getByTestId('sm-edge-synsent-estab')).toHaveClass(/lit-a/);
  await expect(page.getByTestId('sm-endpoint-a')).toContainText('ESTABLISHED');
  await page.screenshot({ path: resolve(artifactsDir, 'state-machine-demo-cursor.png') });

  // The same cursor selects the causing segment (frame 4, the SYN-ACK) in the ladder.
  await page.locator('[data-tab="ladder"]').click();
  await expect(page.locator('.segment[data-frame="4"]')).toHaveClass(/selected/);
  await expect(page.getByTestId('detail-tree')).toContainText('Transmission Control Protocol');

  // Clicking an arrow in the ladder moves the state machine's cursor (Fit: every arrow in view).
  await page.getByTestId('zoom-fit').click();
  await page.locator('.segment[data-frame="15"] .hit').click();
  await page.locator('[data-tab="stateMachine"]').click();
  await expect(page.getByTestId('sm-node-FIN-WAIT-1')).toHaveClass(/current-a/);
  await expect(page.getByTestId('sm-node-CLOSE-WAIT')).toHaveClass(/current-b/);
  await page.getByTestId('sm-show-end').click();
  await expect(page.getByTestId('sm-node-TIME-WAIT')).toHaveClass(/current-a/);

  // Keyboard: → from "the end" goes to the first transition (the SYN: both sides change at its
  // capture time), → again to the next one (the SYN-ACK), ← back.
  await page.getByTestId('state-machine-view').focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('sm-node-SYN-SENT')).toHaveClass(/current-a/);
  await expect(page.getByTestId('sm-node-SYN-RECEIVED')).toHaveClass(/current-b/);
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('sm-node-ESTABLISHED')).toHaveClass(/current-a/);
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('sm-node-SYN-SENT')).toHaveClass(/current-a/);
  await page.keyboard.press('End');
  await expect(page.getByTestId('sm-node-TIME-WAIT')).toHaveClass(/current-a/);
});

test.describe('a lab run', () => {
  let lab: Served;
  test.beforeAll(async () => {
    lab = await startServe(['--lab', 'handshake']);
  });
  test.afterAll(async () => {
    await lab?.stop();
  });
  test('true states from the stack light the handshake and the close', async ({ page }) => {
    await page.goto(lab.url);
    await page.getByTestId('locale-select').selectOption('en');
    await page.locator('[data-tab="stateMachine"]').click();
    await expect(page.getByTestId('sm-diagram')).toBeVisible();
    await expect(page.locator('.sm-view')).toContainText('reported by tcplab');
    await expect(page.getByTestId('sm-node-TIME-WAIT')).toHaveClass(/current-a/);
    for (const e of ['closed-synsent', 'synsent-estab', 'estab-finwait1', 'finwait1-finwait2', 'finwait2-timewait']) {
      await expect(page.getByTestId(`sm-edge-${e}`)).toHaveClass(/lit-a/);
    }
    for (const e of ['listen-synrcvd', 'synrcvd-estab', 'estab-closewait', 'closewait-lastack', 'lastack-closed']) {
      await expect(page.getByTestId(`sm-edge-${e}`)).toHaveClass(/lit-b/);
    }
    await page.screenshot({ path: resolve(artifactsDir, 'state-machine-lab-handshake.png') });
  });
});
