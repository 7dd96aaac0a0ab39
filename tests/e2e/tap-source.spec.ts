import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { missing } from '../support/requirements';
import { sh } from '../support/netns';
import { runInNs, STACK_ADDR } from '../support/tap';
import { moveTapIntoNetns, tapName, type KernelSide } from '../tapsource/kernel-side';
import { artifactsDir, startServe, type Served } from './serve-fixture';

/**
 * The stack on a TAP from the UI: the test makes a TAP (as a user would once, with
 * `ip tuntap add`), starts tcplab's stack on it from the sidebar form, moves the kernel's side into
 * a namespace of its own (192.0.2.1/24), and pings and curls the stack from there.
 */
const why = missing('root', 'tun', 'netns', 'ping', 'curl');
let served: Served | undefined;
let kernel: KernelSide | undefined;
const ifname = tapName('tle2e');

test.beforeAll(async () => {
  if (why !== null) return;
  sh('ip', ['tuntap', 'add', 'dev', ifname, 'mode', 'tap']);
  served = await startServe();
});
test.afterAll(async () => {
  await served?.stop();
  kernel?.destroy();
  if (why === null && !kernel) {
    try {
      sh('ip', ['link', 'del', ifname]);
    } catch {
      // already gone
    }
  }
});

test('the stack on a TAP answers the kernel’s ping and curl; packets and the socket table show it', async ({ page }, testInfo) => {
  testInfo.skip(why !== null, `the TAP source needs it: ${why}`);
  test.setTimeout(90_000);
  const cspErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) cspErrors.push(m.text());
  });
  await page.goto(served!.url);
  await page.getByTestId('locale-select').selectOption('zh-CN');
  await expect(page.getByText('TAP 上的协议栈')).toBeVisible();
  await page.getByTestId('locale-select').selectOption('en');
  await expect(page.getByTestId('session-item')).toHaveCount(1);

  // A TAP that does not exist: the one-time fix, and no session.
  await page.getByTestId('tap-name').fill('nxtap0');
  await page.getByTestId('tap-start').click();
  await expect(page.getByTestId('tap-error')).toContainText('sudo ip tuntap add dev nxtap0 mode tap user $USER');
  await expect(page.getByTestId('session-item')).toHaveCount(1);

  await page.getByTestId('tap-name').fill(ifname);
  await page.getByTestId('tap-ip').fill(`${STACK_ADDR}/24`);
  await page.getByTestId('tap-mac').fill('02:00:00:00:0e:02');
  await page.getByTestId('tap-start').click();
  await expect(page.getByTestId('session-item')).toHaveCount(2);
  await expect(page.getByTestId('tap-panel')).toBeVisible();
  await expect(page.getByTestId('tap-socket-row').filter({ hasText: '*:80' })).toHaveCount(1);
  await expect(page.getByTestId('tap-routes')).toContainText('192.0.2.0/24');

  kernel = moveTapIntoNetns(ifname, 'tle2e');
  const ping = await runInNs(kernel.ns, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', STACK_ADDR]);
  expect(ping.stdout).toMatch(/3 packets transmitted, 3 received/);
  await expect(page.getByTestId('packet-row').filter({ hasText: 'ICMP' })).toHaveCount(6);
  await expect(page.getByTestId('tap-arp')).toContainText(kernel.kernelAddr);

  const quick = await runInNs(kernel.ns, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${STACK_ADDR}/bytes/2000`]);
  expect(quick.stdout).toBe('200 2000');
  await expect(page.getByTestId('packet-row').filter({ hasText: 'TCP' }).first()).toBeVisible();
  // Handshake, request, response, FINs: at least 8 TCP frames (batches arrive every ~33 ms).
  await expect.poll(() => page.getByTestId('packet-row').filter({ hasText: 'TCP' }).count()).toBeGreaterThanOrEqual(8);

  // A slow download keeps the connection up while the socket table refreshes (about once a second).
  const slow = runInNs(kernel.ns, 'curl', ['-s', '-o', '/dev/null', '--limit-rate', '50K', '-w', '%{http_code}', `http://${STACK_ADDR}/bytes/250000`], { timeoutMs: 30_000 });
  const row = page.getByTestId('tap-socket-row').filter({ hasText: 'ESTABLISHED' }).filter({ hasText: `${kernel.kernelAddr}:` });
  await expect(row).toHaveCount(1, { timeout: 10_000 });
  await expect(row).toContainText(`${STACK_ADDR}:80`);
  await expect(page.getByTestId('tap-counters')).toContainText('tcp.service.http.connections');
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: resolve(artifactsDir, 'tap-stack.png') });
  expect((await slow).stdout).toBe('200');

  // A service off: its listener leaves the socket table; on again: back.
  await page.getByTestId('tap-running-service-http').uncheck();
  await expect(page.getByTestId('tap-socket-row').filter({ hasText: '*:80' })).toHaveCount(0);
  await page.getByTestId('tap-running-service-http').check();
  await expect(page.getByTestId('tap-socket-row').filter({ hasText: '*:80' })).toHaveCount(1);

  // A client connection from the stack to a closed kernel port: refused (the kernel answers RST).
  await page.getByTestId('tap-connect-host').fill(kernel.kernelAddr);
  await page.getByTestId('tap-connect-port').fill('9');
  await page.getByTestId('tap-connect-mode').selectOption('none');
  await page.getByTestId('tap-connect-cc').selectOption('reno');
  await page.getByTestId('tap-connect-open').click();
  await expect(page.getByTestId('tap-clients')).toContainText('ECONNREFUSED');
  await expect(page.getByTestId('tap-clients')).toContainText('(reno)');

  // The ladder of the first curl: the stack's side (B, port 80) shows the states its probes
  // reported; the kernel's side (A) the states the passive analysis inferred.
  await page.getByTestId('tap-hide').click();
  await page.locator('[data-tab="ladder"]').click();
  await expect(page.getByTestId('conversation-select')).toBeVisible();
  await page.getByTestId('conversation-select').selectOption('0');
  await expect(page.locator('[data-testid="ladder-state"][data-side="1"]:not(.inferred)').first()).toBeAttached();
  await expect(page.locator('[data-testid="ladder-state"][data-side="1"].inferred')).toHaveCount(0);
  await expect(page.locator('[data-testid="ladder-state"][data-side="0"].inferred').first()).toBeAttached();
  await page.screenshot({ path: resolve(artifactsDir, 'tap-ladder.png') });
  await page.locator('[data-tab="packets"]').click();
  await page.getByTestId('tap-show').click();

  // Stop = close the session: the stack lets go of the TAP.
  await page.getByTestId('tap-stop').click();
  await expect(page.getByTestId('session-item')).toHaveCount(1);
  await page.screenshot({ path: resolve(artifactsDir, 'tap-stopped.png') });
  expect(cspErrors).toEqual([]);
});
