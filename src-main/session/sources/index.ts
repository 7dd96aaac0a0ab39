import type { SourceSpec } from '@shared/ipc/contract';
import type { FrameSource } from '../source';
import { createDemoSource } from './demo';
import { FileSource } from './file';

/** Builds the source a `session.open` request names. Later issues add lab, tap and interface. */
export function createSource(spec: SourceSpec): FrameSource {
  switch (spec.kind) {
    case 'demo':
      return createDemoSource();
    case 'file':
      return new FileSource(spec.path);
  }
}
