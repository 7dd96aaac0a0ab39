import type { AppInfo, SourceSpec } from '@shared/ipc/contract';
import { SessionRegistry } from '../session/registry';
import { createSource } from '../session/sources';
import { version } from '../version';
import { createDispatcher } from './dispatcher';

export interface Core {
  registry: SessionRegistry;
  dispatch: (method: unknown, params: unknown) => Promise<unknown>;
  /** Opens the session the UI shows first (a file, later a lab or the TAP; otherwise the demo). */
  openInitial(spec: SourceSpec): number;
}

/** One core for both shells: the session registry and the dispatcher of the one contract. */
export function createCore(shell: AppInfo['shell']): Core {
  const registry = new SessionRegistry({ createSource });
  let initialSessionId: number | null = null;
  const dispatch = createDispatcher({
    registry,
    version,
    shell,
    initialSessionId: () => initialSessionId,
  });
  return {
    registry,
    dispatch,
    openInitial(spec) {
      initialSessionId = registry.open(spec).id;
      return initialSessionId;
    },
  };
}
