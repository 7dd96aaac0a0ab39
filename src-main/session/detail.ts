import type { FrameDetail } from '@shared/model/frames';
import { buildDetailTree } from '@shared/format/detail';
import type { CapturedFrame } from './source';

/** One frame's full decode for the detail pane, made on demand (never streamed). */
export function detailFrame(no: number, frame: CapturedFrame): FrameDetail {
  return { no, bytes: frame.data, tree: buildDetailTree(frame.linkType, frame.data, frame.originalLength) };
}
