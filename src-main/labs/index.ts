/**
 * Every lab, in teaching order. A lab is one module under src-main/labs/<name>.ts exporting a
 * LabModule; add it here with one import and one entry. docs/labs.md describes each.
 */
import type { LabModule } from './types';
import { ipFragmentationLab } from './ip-fragmentation';
import { arpCacheLab } from './arp-cache';
import { mathisLab } from './mathis';
import { handshakeLab } from './handshake';
import { fourWayCloseLab } from './four-way-close';
import { halfCloseLab } from './half-close';
import { simultaneousCloseLab } from './simultaneous-close';
import { simultaneousOpenLab } from './simultaneous-open';
import { closedPortLab } from './closed-port';
import { synTimeoutLab } from './syn-timeout';
import { timeWaitReuseLab } from './time-wait-reuse';
import { lingerAbortLab } from './linger-abort';
import { halfOpenLab } from './half-open';
import { keepaliveLab } from './keepalive';
import { zeroWindowLab } from './zero-window';
import { sillyWindowLab } from './silly-window';
import { interactiveLab } from './interactive';
import { fastRecoveryLab } from './fast-recovery';
import { reorderingLab } from './reordering';
import { rtoBackoffLab } from './rto-backoff';
import { slowStartLab } from './slow-start';
import { ccCompareLab } from './cc-compare';
import { fairnessLab } from './fairness';
import { ecnLab } from './ecn';

export * from './types';
export { runLab, labParams } from './runner';
export { LabWorld } from './world';

export const labs: LabModule[] = [
  handshakeLab,
  interactiveLab,
  fourWayCloseLab,
  halfCloseLab,
  simultaneousOpenLab,
  simultaneousCloseLab,
  closedPortLab,
  synTimeoutLab,
  timeWaitReuseLab,
  lingerAbortLab,
  halfOpenLab,
  keepaliveLab,
  zeroWindowLab,
  sillyWindowLab,
  fastRecoveryLab,
  reorderingLab,
  rtoBackoffLab,
  slowStartLab,
  ccCompareLab,
  fairnessLab,
  ecnLab,
  arpCacheLab,
  ipFragmentationLab,
  mathisLab,
];

export function findLab(name: string): LabModule | undefined {
  return labs.find((l) => l.name === name);
}
