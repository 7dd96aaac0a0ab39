/**
 * The ONE place ECharts is registered (tree-shaken: only the charts and components tcplab uses,
 * canvas renderer — no runtime <style> injection, so the strict CSP holds; the SVG renderer only
 * in server-side mode, for the SVG export, which builds a string and touches no DOM).
 *
 * The instance lives in a shallowRef (never deep-reactive: ECharts' object graph is huge), is
 * resized by a ResizeObserver and disposed on unmount. `setOption` replaces the whole option
 * (`notMerge`) because the option builders are pure and produce complete options; a `finished`
 * handler is attached before the first setOption (ECharts fires it inside the first frame).
 */
import { onBeforeUnmount, onMounted, shallowRef, type Ref } from 'vue';
import * as echarts from 'echarts/core';
import { LineChart, ScatterChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import type { ChartOption } from '../charts/options';
import { seriesLengths } from '../charts/options';

echarts.use([LineChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, MarkLineComponent, MarkAreaComponent, CanvasRenderer, SVGRenderer]);

export interface UseECharts {
  chart: Ref<echarts.ECharts | null>;
  /** Replaces the option; resolves when ECharts has finished drawing it. */
  setOption(option: ChartOption): Promise<number>;
  onClick(handler: (p: { seriesName?: string; value?: unknown }) => void): void;
  /** Another ECharts event ('datazoom', 'finished' …), attached when the chart is created. */
  onEvent(name: string, handler: () => void): void;
  /** The chart as drawn, as PNG bytes at `pixelRatio` (2 = twice the on-screen size). */
  toPng(pixelRatio: number, background: string): Uint8Array | null;
}

/**
 * An option drawn as an SVG document with ECharts' own SVG renderer in server-side mode (no DOM,
 * nothing injected into the page, so the CSP holds), at the on-screen size: the same picture as
 * the canvas, as vectors. Animation off, so the document holds the final frame.
 */
export function chartToSvg(option: ChartOption, width: number, height: number, background: string): string {
  const ssr = echarts.init(null, undefined, { renderer: 'svg', ssr: true, width, height });
  try {
    ssr.setOption({ ...(option as echarts.EChartsCoreOption), animation: false, backgroundColor: background });
    return ssr.renderToSVGString();
  } finally {
    ssr.dispose();
  }
}

/** The bytes of a base64 data: URL (what ECharts' getDataURL returns). */
export function dataUrlBytes(url: string): Uint8Array {
  const b64 = url.slice(url.indexOf(',') + 1);
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function useECharts(el: Ref<HTMLElement | null>): UseECharts {
  const chart = shallowRef<echarts.ECharts | null>(null);
  let observer: ResizeObserver | undefined;
  let pendingFinish: (() => void) | null = null;
  const clickHandlers: ((p: { seriesName?: string; value?: unknown }) => void)[] = [];
  const eventHandlers: [string, () => void][] = [];

  onMounted(() => {
    if (!el.value) return;
    const c = echarts.init(el.value, undefined, { renderer: 'canvas' });
    c.on('finished', () => {
      const f = pendingFinish;
      pendingFinish = null;
      f?.();
    });
    c.on('click', (p) => {
      for (const h of clickHandlers) h(p as { seriesName?: string; value?: unknown });
    });
    for (const [name, h] of eventHandlers) c.on(name, h);
    chart.value = c;
    observer = new ResizeObserver(() => c.resize());
    observer.observe(el.value);
  });

  onBeforeUnmount(() => {
    observer?.disconnect();
    chart.value?.dispose();
    chart.value = null;
  });

  function setOption(option: ChartOption): Promise<number> {
    const c = chart.value;
    const started = performance.now();
    if (!c) return Promise.resolve(0);
    const el2 = el.value;
    // The test hook: series lengths as a data attribute (no globals).
    if (el2) el2.dataset.seriesLengths = JSON.stringify(seriesLengths(option));
    pendingFinish?.(); // a newer option replaces one still drawing
    return new Promise((resolve) => {
      pendingFinish = () => {
        const ms = performance.now() - started;
        if (el2) el2.dataset.drawMs = ms.toFixed(1);
        resolve(ms);
      };
      c.setOption(option as echarts.EChartsCoreOption, { notMerge: true, lazyUpdate: false });
    });
  }

  function toPng(pixelRatio: number, background: string): Uint8Array | null {
    const c = chart.value;
    if (!c) return null;
    return dataUrlBytes(c.getDataURL({ type: 'png', pixelRatio, backgroundColor: background }));
  }

  return {
    chart,
    setOption,
    toPng,
    onClick: (h) => clickHandlers.push(h),
    onEvent: (name, h) => {
      eventHandlers.push([name, h]);
      chart.value?.on(name, h);
    },
  };
}
