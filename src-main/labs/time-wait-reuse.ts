import { ADDR_A, ADDR_B } from './hosts';
import { expect } from './inspect';
import { listenOn, readAll } from './tcp-hosts';
import { runTcpLab, stateChanges } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

export const timeWaitReuseLab: LabModule = {
  name: 'time-wait-reuse',
  title: { en: 'TIME-WAIT, bind() EADDRINUSE and SO_REUSEADDR', 'zh-CN': 'TIME-WAIT、bind() EADDRINUSE 与 SO_REUSEADDR' },
  narrative: {
    en:
      'B is a server on port 8080 that closes first, so B\'s end of the connection waits in TIME-WAIT for 60 s. Restarting the server ' +
      'right away fails: bind(8080) → EADDRINUSE, because the TIME-WAIT connection still owns the port. A second server on port 8081 ' +
      'set SO_REUSEADDR before listening (as real servers do; accepted connections inherit it): after the same close, a new socket ' +
      'with SO_REUSEADDR binds 8081 at once, while one without still gets EADDRINUSE (Linux requires both sides to agree). Once the ' +
      '60 s have passed, a plain bind(8080) works again.',
    'zh-CN':
      'B 是 8080 端口上的服务器，它先关闭，因此 B 这一端在 TIME-WAIT 中等待 60 s。立即重启服务器会失败：bind(8080) → EADDRINUSE，' +
      '因为处于 TIME-WAIT 的连接仍占用该端口。8081 端口上的第二个服务器在监听前设置了 SO_REUSEADDR（真实服务器都这样做，被接受的连接会继承它）：' +
      '同样关闭后，设置了 SO_REUSEADDR 的新套接字可以立即绑定 8081，而没有设置的仍得到 EADDRINUSE（Linux 要求双方都同意）。60 s 过后，' +
      '普通的 bind(8080) 又能成功。',
  },
  defaults: {},
  expectations: [
    {
      id: 'eaddrinuse',
      text: { en: 'bind(8080) during TIME-WAIT fails with EADDRINUSE', 'zh-CN': 'TIME-WAIT 期间 bind(8080) 以 EADDRINUSE 失败' },
      check(run) {
        return expect(run.results['rebind8080'] === 'EADDRINUSE' && run.results['state8080'] === 'TIME-WAIT', `bind: ${run.results['rebind8080']}, old connection ${run.results['state8080']}`);
      },
    },
    {
      id: 'reuseaddr',
      text: { en: 'with SO_REUSEADDR on both, bind(8081) succeeds during TIME-WAIT; without it on the new socket, EADDRINUSE', 'zh-CN': '双方都设 SO_REUSEADDR 时，TIME-WAIT 期间 bind(8081) 成功；新套接字不设则 EADDRINUSE' },
      check(run) {
        return expect(run.results['rebind8081Reuse'] === 'ok' && run.results['rebind8081Plain'] === 'EADDRINUSE', `with: ${run.results['rebind8081Reuse']}, without: ${run.results['rebind8081Plain']}`);
      },
    },
    {
      id: 'after-2msl',
      text: { en: 'after TIME-WAIT ends (60 s), bind(8080) succeeds', 'zh-CN': 'TIME-WAIT 结束（60 s）后 bind(8080) 成功' },
      check(run) {
        const tw = stateChanges(run, ADDR_B, 8080).find((c) => c.from === 'TIME-WAIT' && c.to === 'CLOSED');
        return expect(run.results['rebind8080Later'] === 'ok' && tw !== undefined, `bind: ${run.results['rebind8080Later']}, TIME-WAIT ended at ${tw?.t} ms`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('time-wait-reuse', params, {}, async (x) => {
      const tryBind = (port: number, reuse: boolean): string => {
        const s = new TcpSocket(x.h.tcpB);
        if (reuse) s.setsockopt('SO_REUSEADDR', true);
        try {
          s.bind(0, port);
          s.listen(8);
          void s.close();
          return 'ok';
        } catch (e) {
          return (e as { code?: string }).code ?? (e as Error).message;
        }
      };
      const serveOnce = async (port: number, reuse: boolean) => {
        const server = listenOn(x.h.tcpB, port, reuse ? (s) => s.setsockopt('SO_REUSEADDR', true) : undefined);
        const accepted = server.accept();
        const client = new TcpSocket(x.h.tcpA);
        await x.outcome(client.connect(ADDR_B, port), 10_000);
        const sb = await x.outcome(accepted, 1000);
        if (!sb.ok) throw new Error('time-wait-reuse: accept failed');
        x.step(`B: server on ${port} closes first (active close)`);
        await x.outcome(server.close(), 1000);
        await x.outcome(sb.value.close(), 1000);
        await x.outcome(readAll(client), 5000);
        await x.outcome(client.close(), 1000);
        await x.sleep(100);
        return sb.value;
      };
      const conn8080 = await serveOnce(8080, false);
      x.result('state8080', conn8080.connection?.state ?? 'CLOSED');
      x.step('B: restart the server: bind(8080)');
      x.result('rebind8080', tryBind(8080, false));
      await serveOnce(8081, true);
      x.step('B: bind(8081) with and without SO_REUSEADDR');
      x.result('rebind8081Plain', tryBind(8081, false));
      x.result('rebind8081Reuse', tryBind(8081, true));
      await x.sleep(61_000);
      x.step('B: 61 s later, bind(8080) again');
      x.result('rebind8080Later', tryBind(8080, false));
      void ADDR_A;
    });
  },
};
