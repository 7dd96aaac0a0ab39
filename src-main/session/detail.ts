import type { FrameDetail } from '@shared/model/frames';
import { buildDetailTree } from '@shared/format/detail';
import type { CapturedFrame } from './source';

/** One frame's full decode for the detail pane, made on demand (never streamed). */
export function detailFrame(no: number, frame: CapturedFrame): FrameDetail {
  // A copy: the frame's bytes may be a view into its session's arena (FrameArena).
  return { no, bytes: frame.data.slice(), tree: buildDetailTree(frame.linkType, frame.data, frame.originalLength) };
}
