import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { missing } from '../support/requirements';
import { sh } from '../support/netns';
import { runInNs, STACK_ADDR } from '../support/tap';
import { moveTapIntoNetns, tapName, type KernelSide } from '../tapsource/kernel-side';
import { artifactsDir, startServe, type Served } from './serve-fixture';

/**
 * The Linux peer's cwnd in the app (issue 7 item 6): the stack starts on a TAP with "Poll the Linux
 * peer's cwnd (ss)"; the TAP's kernel side moves into a namespace; tcplab connects to a kernel socat
 * that sends a file back while it receives (8 Mbit/s token bucket on the kernel's egress, so the
 * kernel's sending lasts ~1 s and ss samples it). The Congestion view then shows tcplab's true cwnd
 * and the kernel's polled cwnd, each named for what it is.
 */
const why = missing('root', 'tun', 'netns', 'socat', 'tc');
let served: Served | undefined;
let kernel: KernelSide | undefined;
const ifname = tapName('tlcce');

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

test("the congestion view draws the Linux peer's polled cwnd beside tcplab's true cwnd", async ({ page }, testInfo) => {
  testInfo.skip(why !== null, `needs: ${why}`);
  test.setTimeout(90_000);
  await page.goto(served!.url);
  await page.getByTestId('locale-select').selectOption('en');
  await page.getByTestId('tap-name').fill(ifname);
  await page.getByTestId('tap-ip').fill(`${STACK_ADDR}/24`);
  await page.getByTestId('tap-mac').fill('02:00:00:00:0c:02');
  await page.getByTestId('tap-kernel-cwnd').check();
  await page.getByTestId('tap-start').click();
  await expect(page.getByTestId('tap-panel')).toBeVisible();

  kernel = moveTapIntoNetns(ifname, 'tlcce');
  kernel.ns.run('tc', ['qdisc', 'add', 'dev', ifname, 'root', 'tbf', 'rate', '8mbit', 'burst', '16kb', 'latency', '100ms']);
  kernel.ns.run('sh', ['-c', 'head -c 1000000 /dev/urandom > /tmp/tcplab-livecc-e2e.bin']);
  const peer = runInNs(kernel.ns, 'socat', ['-T', '30', 'TCP-LISTEN:5003,reuseaddr', 'SYSTEM:cat /tmp/tcplab-livecc-e2e.bin & cat >/dev/null; wait'], { timeoutMs: 60_000 });
  // The poll follows the TAP into its namespace (an `ip netns list` and one probe per namespace, slow
  // on a loaded machine). Connect only once it is there, or the kernel's ~1 s of sending can pass
  // unsampled (CI once read 0 samples at 'done' and 10 a few seconds later).
  await expect(page.getByTestId('tap-kernel-poll')).toContainText(kernel.ns.name, { timeout: 20_000 });
  // socat listens before tcplab's SYN arrives (a RST would end the run with ECONNREFUSED).
  await expect.poll(() => kernel!.ns.run('ss', ['-tlnH', 'sport', '=', ':5003']).trim(), { timeout: 10_000 }).not.toBe('');

  await page.getByTestId('tap-connect-host').fill(kernel.kernelAddr);
  await page.getByTestId('tap-connect-port').fill('5003');
  await page.getByTestId('tap-connect-mode').selectOption('send');
  await page.getByTestId('tap-connect-bytes').fill('4000000');
  await page.getByTestId('tap-connect-cc').selectOption('cubic');
  await page.getByTestId('tap-connect-open').click();
  await expect(page.getByTestId('tap-clients')).toContainText('done', { timeout: 45_000 });
  await peer;
  // The poll sampled the kernel's socket (the panel refreshes once a second).
  await expect(page.getByTestId('tap-kernel-poll')).toHaveText(/: [1-9]\d* samples/, { timeout: 10_000 });

  await page.getByTestId('tap-hide').click();
  await page.locator('[data-tab="congestion"]').click();
  const chart = page.getByTestId('chart-cwnd');
  await expect(chart).toHaveAttribute('data-series-lengths', /polled via ss/, { timeout: 20_000 });
  const lengths = JSON.parse((await chart.getAttribute('data-series-lengths'))!) as Record<string, number>;
  const names = Object.keys(lengths);
  const tcplab = names.find((n) => /^cwnd \(cubic\) — tcplab, true$/.test(n));
  const linux = names.find((n) => /^cwnd — Linux 192\.0\.2\.1:5003-192\.0\.2\.2:\d+ \(\w+\), polled via ss$/.test(n));
  expect(tcplab, names.join(' | ')).toBeDefined();
  expect(linux, names.join(' | ')).toBeDefined();
  expect(lengths[tcplab!]).toBeGreaterThan(10);
  expect(lengths[linux!]).toBeGreaterThanOrEqual(5);
  await expect(page.getByTestId('kernel-note')).toContainText('polled');
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: resolve(artifactsDir, 'congestion-live-kernel.png') });
});
