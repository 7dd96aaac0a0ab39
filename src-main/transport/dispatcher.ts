import {
  RpcError,
  requestSchemas,
  type AppInfo,
  type RequestName,
  type RequestParams,
  type RequestResult,
  type RpcErrorShape,
} from '@shared/ipc/contract';
import { SchemaError } from '@shared/ipc/schema';
import type { SessionRegistry } from '../session/registry';
import { detailFrame } from '../session/detail';
import { UploadStore } from '../session/uploads';
import { captureInterfaces } from '../session/sources/interface';
import { labs } from '../session/sources/lab';
import { TapStackSource } from '../session/sources/tap';
import { conversationsOf } from '../session/conversations';
import { packLadder } from '@shared/diagram/pack';
import { filterFrames, frameAnalysis, sessionSeries } from '../session/series';
import { saveSession } from '../session/saved';
import { ExportError, renderExport } from '../session/export';

type Handlers = { [K in RequestName]: (params: RequestParams<K>) => Promise<RequestResult<K>> | RequestResult<K> };

export interface DispatcherContext {
  registry: SessionRegistry;
  version: string;
  shell: AppInfo['shell'];
  initialSessionId: () => number | null;
}

/**
 * The core behind both transports: validates a request (name and parameters) against the contract
 * and runs it. Anything unknown or malformed is rejected with a specific error before it reaches
 * a handler (design principle 9: main validates every message it receives).
 */
export function createDispatcher(ctx: DispatcherContext): (method: unknown, params: unknown) => Promise<unknown> {
  const uploads = new UploadStore();
  const handlers: Handlers = {
    'app.info': () => ({
      name: 'tcplab',
      version: ctx.version,
      shell: ctx.shell,
      initialSessionId: ctx.initialSessionId(),
    }),
    'lab.list': () => labs.map((l) => ({ name: l.name, title: l.title, narrative: l.narrative })),
    'session.list': () => ctx.registry.list(),
    'session.open': ({ source }) => ctx.registry.open(source),
    'session.pause': ({ sessionId }) => ctx.registry.pause(sessionId),
    'session.resume': ({ sessionId }) => ctx.registry.resume(sessionId),
    'capture.interfaces': () =>
      captureInterfaces().map((i) => ({ name: i.name, description: i.description, addresses: i.addresses, up: i.up, loopback: i.loopback })),
    'session.close': ({ sessionId }) => {
      ctx.registry.close(sessionId);
      return { closed: true as const };
    },
    'session.frames': ({ sessionId, from, count }) => ctx.registry.get(sessionId).summaries.slice(from - 1, from - 1 + count),
    'upload.begin': ({ name, size }) => ({ uploadId: uploads.begin(name, size) }),
    'upload.chunk': ({ uploadId, offset, bytes }) => ({ received: uploads.chunk(uploadId, offset, bytes) }),
    'upload.finish': ({ uploadId }) => ctx.registry.openSource(uploads.finish(uploadId)),
    'upload.cancel': ({ uploadId }) => {
      uploads.cancel(uploadId);
      return { cancelled: true as const };
    },
    'frame.detail': ({ sessionId, frame }) => {
      const session = ctx.registry.get(sessionId);
      const captured = session.frames[frame - 1];
      if (!captured) throw new RpcError('EINVAL', `frame ${frame} does not exist (session ${sessionId} has ${session.frames.length})`);
      return detailFrame(frame, captured);
    },
    'conversation.list': ({ sessionId }) => conversationsOf(ctx.registry.get(sessionId)).list(),
    'conversation.ladder': ({ sessionId, stream }) => packLadder(conversationsOf(ctx.registry.get(sessionId)).ladder(stream)),
    'frame.analysis': ({ sessionId, from, count }) => frameAnalysis(ctx.registry.get(sessionId), from, count),
    'session.filter': ({ sessionId, filter }) => filterFrames(ctx.registry.get(sessionId), filter),
    'session.series': ({ sessionId, stream }) => sessionSeries(ctx.registry.get(sessionId), stream),
    'session.save': ({ sessionId, path }) => saveSession(ctx.registry.get(sessionId), path),
    // Only Electron's main process has a native dialog and grants paths (src-main/electron/main.ts).
    'dialog.save': () => {
      throw new RpcError('ENOTSUP', `dialog.save: the ${ctx.shell} shell has no native save dialog; the renderer downloads the bytes instead`);
    },
    'file.write': () => {
      throw new RpcError('ENOTSUP', `file.write: only the Electron shell writes renderer-made files (to a path its save dialog granted)`);
    },
    'export.render': async ({ sessionId, ...req }) => {
      try {
        return await renderExport(ctx.registry.get(sessionId), req);
      } catch (err) {
        if (err instanceof ExportError) throw new RpcError('EINVAL', `export.render: ${err.message}`);
        throw err;
      }
    },
    'tap.state': ({ sessionId }) => tapSource(ctx.registry, sessionId).snapshot(),
    'tap.services': ({ sessionId, services }) => {
      const src = tapSource(ctx.registry, sessionId);
      src.setServices(services);
      return src.snapshot();
    },
    'tap.connect': ({ sessionId, ...opts }) => tapSource(ctx.registry, sessionId).connect(opts),
  };

  return async (method, params) => {
    if (typeof method !== 'string' || !Object.hasOwn(requestSchemas, method)) {
      throw new RpcError('ENOMETHOD', `unknown request ${JSON.stringify(method)}; known: ${Object.keys(requestSchemas).join(', ')}`);
    }
    const name = method as RequestName;
    let valid: unknown;
    try {
      valid = requestSchemas[name].parse(params ?? {}, '');
    } catch (err) {
      if (err instanceof SchemaError) throw new RpcError('EINVAL', `${name}: ${err.message}`);
      throw err;
    }
    const handler = handlers[name] as (p: unknown) => unknown;
    return await handler(valid);
  };
}

/** The running stack behind a TAP session, or a clear error for any other session. */
function tapSource(registry: SessionRegistry, sessionId: number): TapStackSource {
  const session = registry.get(sessionId);
  if (!(session.source instanceof TapStackSource)) {
    throw new RpcError('EINVAL', `session ${sessionId} is a ${session.kind} session, not the stack on a TAP`);
  }
  return session.source;
}

/** Turns anything thrown into the contract's error shape, without leaking stack traces. */
export function toRpcError(err: unknown): RpcErrorShape {
  if (err instanceof RpcError) return err.fix ? { code: err.code, message: err.message, fix: err.fix } : { code: err.code, message: err.message };
  const e = err as NodeJS.ErrnoException;
  if (e && e.code === 'ENOENT') return { code: 'ENOENT', message: e.message };
  if (e && (e.code === 'EACCES' || e.code === 'EPERM')) return { code: 'EACCES', message: e.message };
  return { code: 'EINTERNAL', message: err instanceof Error ? err.message : String(err) };
}
