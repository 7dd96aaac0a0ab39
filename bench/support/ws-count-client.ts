/**
 * A WebSocket client in its own process for the streaming benchmark: it plays the renderer's part
 * (decodes every batch) and reports what arrived, so the server's main-thread lag is measured
 * without the client's work in it. Prints `ready` once the server answered its first request (so
 * its subscription exists: frames of a session opened later all reach it), then one JSON line, and
 * exits when the session is done.
 */
import WebSocket from 'ws';
import { decodeMessage, encodeMessage } from '../../src-shared/ipc/codec';

const [url, sessionArg] = process.argv.slice(2);
const sessionId = Number(sessionArg);
const u = new URL(url!);
const ws = new WebSocket(`ws://${u.host}/ws?token=${u.searchParams.get('token')}`);
let frames = 0;
let dropped = 0;
let batches = 0;
let maxBatch = 0;
let firstAt = 0;
/** Number of the first frame received: 1 unless the session started before this client subscribed. */
let firstNo = 0;
let done = false;
let total = -1;
const started = performance.now();
let cpuAtOpen: NodeJS.CpuUsage | undefined;

function finish(): void {
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtOpen);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(`${JSON.stringify({ frames, dropped, batches, maxBatch, total, seconds, firstFrameEpochMs: firstAt, firstNo, cpuSeconds })}\n`);
  ws.close();
  process.exit(0);
}

ws.on('message', (data: Buffer) => {
  const m = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) as {
    type: string;
    event?: string;
    id?: number;
    payload?: { sessionId?: number; id?: number; frames?: { no: number }[]; dropped?: number; state?: string; frameCount?: number };
  };
  if (m.type === 'response' && m.id === 1) process.stdout.write('ready\n');
  if (m.type !== 'event' || !m.payload) return;
  if (m.event === 'session.batch' && m.payload.sessionId === sessionId) {
    const n = m.payload.frames!.length;
    if (frames === 0 && n > 0) {
      firstAt = Date.now();
      firstNo = m.payload.frames![0]!.no;
    }
    frames += n;
    dropped += m.payload.dropped ?? 0;
    batches++;
    maxBatch = Math.max(maxBatch, n);
  } else if (m.event === 'session.status' && m.payload.id === sessionId) {
    if (m.payload.state === 'done' || m.payload.state === 'error') {
      done = true;
      total = m.payload.frameCount ?? -1;
    }
  }
  if (done && frames + dropped >= total) finish();
});
ws.on('open', () => {
  // CPU from here on: receiving and decoding, not starting the process.
  cpuAtOpen = process.cpuUsage();
  ws.send(encodeMessage({ type: 'request', id: 1, method: 'app.info', params: {} }));
});
setTimeout(finish, 300_000).unref();
