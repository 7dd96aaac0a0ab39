import { existsSync } from 'node:fs';
import { RpcError, type SourceSpec } from '@shared/ipc/contract';
import type { FrameSource } from '../source';
import type { LabParams } from '../../labs';
import { createDemoSource } from './demo';
import { FileSource } from './file';
import { LabSource } from './lab';

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
export function createSource(spec: SourceSpec): FrameSource {
  switch (spec.kind) {
    case 'demo':
      return createDemoSource();
    case 'file':
      // Refuse at once, so no session is made for a path that is not there.
      if (!existsSync(spec.path)) throw new RpcError('ENOENT', `cannot open ${spec.path}: no such file`);
      return new FileSource(spec.path);
    case 'lab':
      return new LabSource(spec.name, labOverrides(spec.params ?? {}));
  }
}
