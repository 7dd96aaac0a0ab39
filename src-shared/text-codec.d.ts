/**
 * TextEncoder and TextDecoder exist in every runtime src-shared runs in (Node, browsers, workers)
 * but belong to neither ES2022's lib nor a runtime-neutral one; this declares just what is used.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array): string;
}
