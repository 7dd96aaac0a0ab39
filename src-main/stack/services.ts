/**
 * Small standard services, by name, for `tcplab stack --serve NAME,...` and for labs:
 * echo (RFC 862, port 7), discard (RFC 863, port 9), daytime (RFC 867, port 13) and chargen
 * (RFC 864, port 19) over UDP here. The registry is keyed by (name, protocol): the TCP layer
 * registers its own 'echo', 'discard', 'chargen', 'http' … with `registerService(..., 'tcp', ...)`
 * and `startServices` starts every protocol a name exists for.
 */
import type { Stack } from './stack';
import type { UdpMessage } from './udp';

export type ServiceProtocol = 'udp' | 'tcp';

export interface RunningService {
  name: string;
  protocol: ServiceProtocol;
  port: number;
  stop(): void;
}

export interface ServiceDefinition {
  name: string;
  protocol: ServiceProtocol;
  port: number;
  description: string;
  /** Starts the service on `port` (default: the definition's). */
  start(stack: Stack, port: number): RunningService;
}

const registry: ServiceDefinition[] = [];

export function registerService(def: ServiceDefinition): void {
  const i = registry.findIndex((d) => d.name === def.name && d.protocol === def.protocol);
  if (i >= 0) registry[i] = def;
  else registry.push(def);
}

export function serviceDefinitions(): readonly ServiceDefinition[] {
  return registry;
}

export function serviceNames(): string[] {
  return [...new Set(registry.map((d) => d.name))].sort();
}

/**
 * Starts each named service for every protocol it is registered for. Names may carry a port:
 * 'echo:7007'. Throws RangeError for an unknown name (listing the known ones).
 */
export function startServices(stack: Stack, names: readonly string[], protocols?: readonly ServiceProtocol[]): RunningService[] {
  const started: RunningService[] = [];
  try {
    for (const spec of names) {
      const [name, portText] = spec.split(':');
      const defs = registry.filter((d) => d.name === name && (!protocols || protocols.includes(d.protocol)));
      if (defs.length === 0) throw new RangeError(`unknown service '${name}'; known: ${serviceNames().join(', ')}`);
      const port = portText !== undefined ? Number(portText) : undefined;
      if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new RangeError(`service '${spec}': port '${portText}' is not in 1..65535`);
      for (const d of defs) started.push(d.start(stack, port ?? d.port));
    }
  } catch (err) {
    for (const s of started) s.stop();
    throw err;
  }
  return started;
}

function udpService(name: string, port: number, description: string, handle: (stack: Stack, m: UdpMessage) => Uint8Array | null): ServiceDefinition {
  return {
    name,
    protocol: 'udp',
    port,
    description,
    start(stack, p) {
      const sock = stack.udp.socket().bind(p);
      sock.onMessage((m) => {
        stack.counters.inc(`service.udp.${name}.requests`);
        const reply = handle(stack, m);
        if (!reply) return;
        try {
          sock.sendto(reply, m.addr, m.port, { causeId: m.causeId });
        } catch {
          stack.counters.inc(`service.udp.${name}.send-errors`);
        }
      });
      return { name, protocol: 'udp', port: p, stop: () => sock.close() };
    },
  };
}

/** RFC 864's pattern: 72-character lines of the 95 printable ASCII characters, rotating. */
export function chargenLine(index: number): string {
  let line = '';
  for (let i = 0; i < 72; i++) line += String.fromCharCode(32 + ((index + i) % 95));
  return line + '\r\n';
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** RFC 867's suggested form, e.g. 'Sunday, November 22, 2026 01:58:14-UTC', from epoch ms. */
export function formatDaytime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}-UTC\r\n`;
}

const encoder = new TextEncoder();

registerService(udpService('echo', 7, 'RFC 862: sends back every datagram', (_s, m) => m.data));
registerService(udpService('discard', 9, 'RFC 863: throws every datagram away', () => null));
registerService(
  udpService('daytime', 13, 'RFC 867: answers with the date and time (injected wall clock)', (s) => encoder.encode(formatDaytime(s.wallClock()))),
);
registerService(
  udpService('chargen', 19, 'RFC 864: answers with 0–512 characters of the rotating pattern', (s) => {
    // RFC 864 (UDP): "a random number (between 0 and 512) of characters".
    const length = s.random.int(513);
    const start = s.random.int(95);
    let text = '';
    for (let i = 0; text.length < length; i++) text += chargenLine(start + i);
    return encoder.encode(text.slice(0, length));
  }),
);
