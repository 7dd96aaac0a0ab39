import { CubicCongestion } from './cubic';
import { RenoCongestion } from './reno';
import { VegasCongestion } from './vegas';
import { CONGESTION_NAMES, type CongestionControl, type CongestionName, type CongestionOptions } from './types';

export * from './types';
export { initialWindowBytes } from './window';

/** True for the names Linux accepts in TCP_CONGESTION that tcplab implements. */
export function isCongestionName(name: string): name is CongestionName {
  return (CONGESTION_NAMES as readonly string[]).includes(name);
}

/**
 * A new controller by its Linux name (setsockopt TCP_CONGESTION). Call `init(mss, now)` before use.
 * Throws for an unknown name, listing the known ones.
 */
export function createCongestionControl(name: CongestionName, opts: CongestionOptions = {}): CongestionControl {
  switch (name) {
    case 'reno':
    case 'newreno':
      return new RenoCongestion(name, opts);
    case 'cubic':
      return new CubicCongestion(opts);
    case 'vegas':
      return new VegasCongestion(opts);
    default:
      throw new Error(`unknown congestion control '${String(name)}' (known: ${CONGESTION_NAMES.join(', ')})`);
  }
}
