/**
 * `tcplab stack ... --connect HOST:PORT [--send N|FILE] [--recv FILE]`: the TCP client mode of the
 * stack command (kept here so the stack command needs one line for it).
 */
import { readFileSync, createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { CliUsageError, type CliIo, type ParsedArgs } from './command';
import type { Stack } from '../stack/stack';
import { runTcpClient, type TcpClientOptions, type TcpClientResult } from '../stack/tcp/services';
import { TAP_CONGESTION } from '@shared/model/tap-stack';

export function parseConnect(args: ParsedArgs): TcpClientOptions {
  const target = String(args.options.connect ?? '');
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(target);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new CliUsageError(`--connect expects HOST:PORT with an IPv4 address, got '${target}'`);
  const o: TcpClientOptions = { host: m[1]!, port: Number(m[2]) };
  const send = args.options.send as string | undefined;
  if (send !== undefined) {
    if (/^\d+$/.test(send)) o.send = { count: Number(send) };
    else {
      try {
        o.send = { data: new Uint8Array(readFileSync(send)) };
      } catch (e) {
        throw new CliUsageError(`--send: cannot read '${send}': ${(e as Error).message}`);
      }
    }
  }
  if (args.options.recv !== undefined) o.recvFile = String(args.options.recv);
  const cc = args.options.cc as string | undefined;
  if (cc !== undefined) {
    if (!(TAP_CONGESTION as readonly string[]).includes(cc)) throw new CliUsageError(`--cc: unknown congestion control '${cc}' (known: ${TAP_CONGESTION.join(', ')})`);
    o.congestion = cc;
  }
  return o;
}

export async function runTcpClientCli(
  running: { stack: Stack; stop(): Promise<void> },
  args: ParsedArgs,
  io: CliIo,
  hooks: { onResult?: (r: TcpClientResult) => void } = {},
): Promise<number> {
  const opts = parseConnect(args);
  let out: WriteStream | null = null;
  const partial = opts.recvFile ? `${opts.recvFile}.partial` : null;
  if (partial) {
    out = createWriteStream(partial);
    let writeError: Error | null = null;
    out.on('error', (e) => (writeError = e));
    opts.onData = (c) => {
      if (writeError) throw new Error(`--recv ${opts.recvFile}: ${writeError.message}`);
      out!.write(c);
    };
  }
  opts.now = () => performance.now();
  try {
    const r = await runTcpClient(running.stack, opts);
    hooks.onResult?.(r);
    if (out) {
      await new Promise<void>((res, rej) => out!.end((e?: Error | null) => (e ? rej(e) : res())));
      renameSync(partial!, opts.recvFile!); // never leave a half-written file under the final name
    }
    const mbps = r.ms > 0 ? ((r.sent + r.received) * 8) / r.ms / 1000 : 0;
    io.stdout.write(
      `tcplab connect: ${r.local} -> ${r.remote} sent ${r.sent} received ${r.received} bytes in ${r.ms.toFixed(0)} ms (${mbps.toFixed(1)} Mbit/s)\n` +
        `received sha256 ${r.receivedSha256}\n` +
        `mss ${r.info.mss} wscale ${r.info.sndShift},${r.info.rcvShift} sack ${r.info.sack} timestamps ${r.info.timestamps} cc ${r.info.congestion}\n`,
    );
    await running.stop();
    return 0;
  } catch (e) {
    if (out) {
      out.destroy();
      rmSync(partial!, { force: true }); // no half-written file is left behind
    }
    io.stderr.write(`tcplab connect: ${(e as Error).message}\n`);
    await running.stop();
    return 1;
  }
}
