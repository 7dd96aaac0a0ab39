/**
 * The one IPC contract between the renderer and main (design principle 9). Requests and events are
 * declared once here; the Electron preload exposes one method per request, the WebSocket transport
 * carries the same messages, and main validates every incoming message against `requestSchemas`.
 */
import type { FrameDetail, FrameSummary, SessionInfo, SessionStatus } from '../model/frames';
import type { ProbeEvent } from '../model/probe';
import type { ConversationInfo, PackedLadderData } from '../model/conversation';
import type { FilterResult, FrameAnalysisRange, SessionSeries } from '../model/series';
import type { TapClientRow, TapStackSnapshot } from '../model/tap-stack';
import { TAP_CONGESTION, TAP_SERVICES } from '../model/tap-stack';
import { s, type Infer } from './schema';

const sessionId = s.int(1, 1_000_000);
const ipv4Text = s.string({ maxLength: 15, minLength: 7, pattern: /^\d{1,3}(\.\d{1,3}){3}$/ });
const tapServices = s.array(s.enum(TAP_SERVICES), TAP_SERVICES.length);

/** Largest file `file.write` takes (an export the renderer saves through Electron's dialog). */
export const FILE_WRITE_MAX_BYTES = 512 * 2 ** 20;

/** Largest chunk of an upload; the WebSocket transport's message limit leaves room for it. */
export const UPLOAD_CHUNK_BYTES = 512 * 1024;

/** What a session reads from. Later issues add lab, tap and interface sources. */
export const sourceSpecSchema = s.tagged('kind', {
  demo: s.object({ kind: s.literal('demo') }),
  file: s.object({ kind: s.literal('file'), path: s.string({ maxLength: 4096, minLength: 1 }) }),
  interface: s.object({
    kind: s.literal('interface'),
    device: s.string({ maxLength: 64, minLength: 1, pattern: /^[\w.:@-]+$/ }),
    /** A BPF capture filter in libpcap's syntax; libpcap compiles it and reports its errors. */
    filter: s.optional(s.string({ maxLength: 2048 })),
    snaplen: s.optional(s.int(64, 262_144)),
    promiscuous: s.optional(s.boolean()),
  }),
  /** tcplab's own stack on a TAP (docs/stack.md, "Stack on a TAP from the UI"). */
  tap: s.object({
    kind: s.literal('tap'),
    tap: s.string({ maxLength: 15, minLength: 1, pattern: /^[\w.-]+$/ }),
    ip: s.string({ maxLength: 18, minLength: 9, pattern: /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/ }),
    mac: s.optional(s.string({ maxLength: 17, minLength: 17, pattern: /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/ })),
    mtu: s.optional(s.int(68, 65535)),
    gateway: s.optional(ipv4Text),
    services: s.optional(tapServices),
    /** Create the TAP when missing (needs CAP_NET_ADMIN; it goes away when the session closes). */
    create: s.optional(s.boolean()),
    /** Poll the local Linux peer's cwnd with `ss -tin` (probe layer `kernel`) for the congestion view. */
    kernelCwnd: s.optional(s.boolean()),
  }),
  lab: s.object({
    kind: s.literal('lab'),
    name: s.string({ maxLength: 64, pattern: /^[a-z0-9-]+$/ }),
    params: s.optional(
      s.object({
        cc: s.optional(s.enum(['reno', 'newreno', 'cubic', 'vegas'])),
        loss: s.optional(s.number({ min: 0, max: 0.99 })),
        delayMs: s.optional(s.number({ min: 0, max: 10_000 })),
        rateMbps: s.optional(s.number({ min: 0, max: 100_000 })),
        seed: s.optional(s.int(0, 0xffff_ffff)),
      }),
    ),
  }),
});
export type SourceSpec = Infer<typeof sourceSpecSchema>;

/** Formats of `export.render` and `tcplab export`. */
export const EXPORT_FORMATS = ['svg', 'png', 'pdf', 'mermaid', 'plantuml', 'ascii', 'csv', 'json', 'pcap', 'pcapng'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const requestSchemas = {
  'app.info': s.object({}),
  'lab.list': s.object({}),
  'session.list': s.object({}),
  'session.open': s.object({ source: sourceSpecSchema }),
  'session.close': s.object({ sessionId }),
  'session.pause': s.object({ sessionId }),
  'session.resume': s.object({ sessionId }),
  /** Interfaces a live capture can open (libpcap's list, with IPv4 addresses). */
  'capture.interfaces': s.object({}),
  'session.frames': s.object({ sessionId, from: s.int(1), count: s.int(1, 100_000) }),
  'frame.detail': s.object({ sessionId, frame: s.int(1) }),
  /**
   * A capture sent from the renderer (drag and drop, file picker) in chunks of at most 512 KiB,
   * written to a temporary file in main, then opened like any file (streamed, with progress).
   */
  'upload.begin': s.object({ name: s.string({ maxLength: 255, minLength: 1 }), size: s.int(0, 64 * 2 ** 30) }),
  'upload.chunk': s.object({ uploadId: s.int(1), offset: s.int(0), bytes: s.bytes(UPLOAD_CHUNK_BYTES) }),
  'upload.finish': s.object({ uploadId: s.int(1) }),
  'upload.cancel': s.object({ uploadId: s.int(1) }),
  /** The session's TCP conversations (tcp.stream), from the passive analysis. */
  'conversation.list': s.object({ sessionId }),
  /** One conversation's segments, states and timers for the ladder and the state machine. */
  'conversation.ladder': s.object({ sessionId, stream: s.int(0, 100_000_000) }),
  /** tcp.stream and analysis flag bits of frames [from, from + count) for colouring the table. */
  'frame.analysis': s.object({ sessionId, from: s.int(1), count: s.int(1, 100_000) }),
  /** A display filter (Wireshark subset, src-shared/filter) over every frame of the session. */
  'session.filter': s.object({ sessionId, filter: s.string({ maxLength: 2000, minLength: 1 }) }),
  /** One conversation's window and congestion series (probes for labs, analysis for all). */
  'session.series': s.object({ sessionId, stream: s.int(0, 100_000_000) }),
  /** The stack on a TAP: sockets (like `ss -tan`), ARP table, routes, counters, client connections. */
  'tap.state': s.object({ sessionId }),
  /** Runs exactly these services on the stack (the others stop). */
  'tap.services': s.object({ sessionId, services: tapServices }),
  /**
   * Opens a client connection from the stack: `send` N generated bytes, or `fetch` N bytes from the
   * peer's HTTP service (`GET /bytes/N`), with a congestion control. Answers when connected or failed.
   */
  'tap.connect': s.object({
    sessionId,
    host: ipv4Text,
    port: s.int(1, 65535),
    send: s.optional(s.int(0, 1_000_000_000)),
    fetch: s.optional(s.int(0, 1_000_000_000)),
    cc: s.optional(s.enum(TAP_CONGESTION)),
  }),
  /**
   * Saves the session as pcapng with tcplab's state embedded (probe events; for labs every frame of
   * both hosts), written atomically (`<path>.partial`, renamed). Reopening the file restores the
   * ladder's true states and slanted arrows and the true cwnd. docs/export.md.
   */
  'session.save': s.object({ sessionId, path: s.string({ maxLength: 4096, minLength: 2, pattern: /^\// }) }),
  /**
   * Electron shell only (the main process answers it; the session worker says ENOTSUP): the native
   * save dialog. The path the user picks is granted for ONE following `session.save` or
   * `file.write`; Electron's main process refuses any other path for those two there. docs/export.md.
   */
  'dialog.save': s.object({
    /** File name offered in the dialog (no directory). */
    suggestedName: s.string({ maxLength: 255, minLength: 1, pattern: /^[^/\\]+$/ }),
  }),
  /**
   * Electron shell only: writes bytes the renderer made (a chart image, an export) to a path the
   * save dialog just granted, atomically (`<path>.partial`, renamed).
   */
  'file.write': s.object({ path: s.string({ maxLength: 4096, minLength: 2, pattern: /^\// }), bytes: s.bytes(FILE_WRITE_MAX_BYTES) }),
  /** One export as bytes (the renderer offers them as a download). docs/export.md. */
  'export.render': s.object({
    sessionId,
    format: s.enum(EXPORT_FORMATS),
    stream: s.optional(s.int(0, 100_000_000)),
    table: s.optional(s.enum(['segments', 'series', 'conversations'])),
    frames: s.optional(s.array(s.int(1), 1_000_000)),
    /** pcap/pcapng: the frames a display filter shows (run in main; a huge result never travels). */
    filter: s.optional(s.string({ maxLength: 2000, minLength: 1 })),
    frameRange: s.optional(s.object({ from: s.int(1), to: s.int(1) })),
    withState: s.optional(s.boolean()),
    detail: s.optional(
      s.object({
        relative: s.optional(s.boolean()),
        window: s.optional(s.boolean()),
        options: s.optional(s.boolean()),
        states: s.optional(s.boolean()),
        flags: s.optional(s.boolean()),
        timers: s.optional(s.boolean()),
      }),
    ),
  }),
} as const;

export type RequestName = keyof typeof requestSchemas;
export const requestNames = Object.keys(requestSchemas) as RequestName[];
export type RequestParams<K extends RequestName> = Infer<(typeof requestSchemas)[K]>;

export interface AppInfo {
  name: 'tcplab';
  version: string;
  shell: 'electron' | 'browser';
  /** The session opened from the command line (`tcplab serve FILE`), or the demo. */
  initialSessionId: number | null;
}

export interface CaptureInterfaceInfo {
  name: string;
  description: string | null;
  addresses: string[];
  up: boolean;
  loopback: boolean;
}

/** A lab as the lab browser lists it. */
export interface LabInfo {
  name: string;
  title: { en: string; 'zh-CN': string };
  narrative: { en: string; 'zh-CN': string };
}

export interface RequestResults {
  'app.info': AppInfo;
  'lab.list': LabInfo[];
  'session.list': SessionInfo[];
  'session.open': SessionInfo;
  'session.close': { closed: true };
  'session.pause': SessionInfo;
  'session.resume': SessionInfo;
  'capture.interfaces': CaptureInterfaceInfo[];
  'session.frames': FrameSummary[];
  'frame.detail': FrameDetail;
  'upload.begin': { uploadId: number };
  'upload.chunk': { received: number };
  'upload.finish': SessionInfo;
  'upload.cancel': { cancelled: true };
  'conversation.list': ConversationInfo[];
  /** Unpack with src-shared/diagram/pack.ts unpackLadder. */
  'conversation.ladder': PackedLadderData;
  'frame.analysis': FrameAnalysisRange;
  'session.filter': FilterResult;
  'session.series': SessionSeries;
  'tap.state': TapStackSnapshot;
  'tap.services': TapStackSnapshot;
  'tap.connect': TapClientRow;
  'session.save': { path: string; frames: number; probes: number; bytes: number };
  'dialog.save': { path: string | null };
  'file.write': { path: string; bytes: number };
  'export.render': { bytes: Uint8Array; mime: string; extension: string };
}
export type RequestResult<K extends RequestName> = RequestResults[K];

/** Main → renderer. A batch coalesces everything a session produced in one 16–50 ms tick. */
export interface EventPayloads {
  'session.batch': {
    sessionId: number;
    frames: FrameSummary[];
    probes: ProbeEvent[];
    /** Events dropped by the bounded queue since the previous batch for this subscriber. */
    dropped: number;
  };
  'session.status': SessionStatus;
}
export type EventName = keyof EventPayloads;
export const eventNames: EventName[] = ['session.batch', 'session.status'];

/**
 * A permission that is missing, and the one-time command that grants it (issue 9 §8): the UI shows
 * it in place with a copy button, the CLI prints it. The app never asks to run as root.
 * - `capture`: live capture needs CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode) on the binary;
 * - `tap-create`: creating a TAP needs CAP_NET_ADMIN, so create a persistent one owned by the user;
 * - `tap-owner`: the TAP exists but belongs to another user: recreate it owned by this user.
 */
export interface PermissionFix {
  kind: 'capture' | 'tap-create' | 'tap-owner';
  /** A shell command line to run once (with sudo). */
  command: string;
}

/** A failed request: `code` is stable for programs, `message` is for people. */
export interface RpcErrorShape {
  code: 'EINVAL' | 'ENOMETHOD' | 'ENOSESSION' | 'ENOENT' | 'EACCES' | 'EINTERNAL' | 'EAUTH' | 'EFORMAT' | 'ENOTSUP';
  message: string;
  /** With EACCES: what fixes it once. */
  fix?: PermissionFix;
}

export class RpcError extends Error implements RpcErrorShape {
  override name = 'RpcError';
  constructor(
    readonly code: RpcErrorShape['code'],
    message: string,
    readonly fix?: PermissionFix,
  ) {
    super(message);
  }
}

/** The API the renderer sees, identical in both shells (preload object or WebSocket client). */
export type TcplabApi = {
  [K in RequestName]: (params: RequestParams<K>) => Promise<RequestResult<K>>;
} & {
  on<E extends EventName>(event: E, callback: (payload: EventPayloads[E]) => void): () => void;
};
