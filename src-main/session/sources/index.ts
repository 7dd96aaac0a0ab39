import { existsSync } from 'node:fs';
import { RpcError, type SourceSpec } from '@shared/ipc/contract';
import type { FrameSource } from '../source';
import type { LabParams } from '../../labs';
import { createDemoSource } from './demo';
import { FileSource } from './file';
import { LabSource } from './lab';
import { TapStackSource } from './tap';
import { InterfaceSource } from './interface';
import { captureCapabilityFix, LiveCaptureError, type LiveCaptureOptions } from '../../capture/live';

function labOverrides(p: NonNullable<Extract<SourceSpec, { kind: 'lab' }>['params']>): Partial<LabParams> {
  const o: Partial<LabParams> = {};
  if (p.cc !== undefined) o.cc = p.cc;
  if (p.loss !== undefined) o.loss = p.loss;
  if (p.delayMs !== undefined) o.delayMs = p.delayMs;
  if (p.rateMbps !== undefined) o.rateMbps = p.rateMbps;
  if (p.seed !== undefined) o.seed = p.seed;
  return o;
}

/** Builds the source a `session.open` request names. Later issues add lab, tap and interface. */
export function createSource(spec: SourceSpec): FrameSource | Promise<FrameSource> {
  switch (spec.kind) {
    case 'demo':
      return createDemoSource();
    case 'file':
      // Refuse at once, so no session is made for a path that is not there.
      if (!existsSync(spec.path)) throw new RpcError('ENOENT', `cannot open ${spec.path}: no such file`);
      return new FileSource(spec.path);
    case 'interface': {
      const opts: LiveCaptureOptions = { device: spec.device };
      if (spec.filter !== undefined) opts.filter = spec.filter;
      if (spec.snaplen !== undefined) opts.snaplen = spec.snaplen;
      if (spec.promiscuous !== undefined) opts.promiscuous = spec.promiscuous;
      return InterfaceSource.open(opts).catch((err: unknown) => {
        if (err instanceof LiveCaptureError) {
          if (err.kind === 'permission') throw new RpcError('EACCES', err.message, { kind: 'capture', command: captureCapabilityFix() });
          throw new RpcError('EINVAL', err.message);
        }
        throw err;
      });
    }
    case 'tap':
      return TapStackSource.open(spec);
    case 'lab':
      return new LabSource(spec.name, labOverrides(spec.params ?? {}));
  }
}
