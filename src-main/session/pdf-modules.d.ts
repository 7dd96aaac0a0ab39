// Minimal types for the two untyped PDF modules export.ts uses (pdfkit, svg-to-pdfkit).
declare module 'pdfkit' {
  interface PdfDoc {
    on(event: 'data', cb: (chunk: Buffer) => void): this;
    on(event: 'end', cb: () => void): this;
    on(event: 'error', cb: (err: Error) => void): this;
    end(): void;
  }
  const PDFDocument: new (opts?: Record<string, unknown>) => PdfDoc;
  export default PDFDocument;
}
declare module 'svg-to-pdfkit' {
  const SVGtoPDF: (doc: unknown, svg: string, x: number, y: number, opts?: Record<string, unknown>) => void;
  export default SVGtoPDF;
}
