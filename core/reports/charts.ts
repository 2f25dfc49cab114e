// Charts for dashboards, rendered on the server as SVG with Apache ECharts' SSR renderer (no browser, no script on
// the page): served as images, so the strict CSP needs nothing more than img-src 'self'. Readable when printed in
// black and white: white background, black text, and decal patterns (ECharts aria.decal) besides colours.
import * as echarts from 'echarts';

export interface ChartSize {
  width?: number;
  height?: number;
}

const FONT = 'Liberation Sans, Arial, sans-serif';
const PALETTE = ['#1f4e79', '#c55a11', '#548235', '#7030a0', '#bf9000', '#2e75b6', '#595959'];

function render(option: echarts.EChartsCoreOption, size: ChartSize): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width ?? 900, height: size.height ?? 420 });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      color: PALETTE,
      textStyle: { fontFamily: FONT, color: '#000' },
      aria: { enabled: true, decal: { show: true } },
      ...option,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const pctAxis = (name: string, max = 100) => ({
  type: 'value', name, min: 0, max, axisLabel: { formatter: '{value}%', color: '#000' }, nameTextStyle: { color: '#000' }, splitLine: { lineStyle: { color: '#ccc' } },
});

/** Lines over categories (report times), values in percent; one dash pattern and marker per line. */
export function percentLines(o: { title: string; categories: string[]; series: { name: string; values: (number | null)[] }[]; yName: string }, size: ChartSize = {}): string {
  const dashes = ['solid', 'dashed', 'dotted'] as const;
  const symbols = ['circle', 'rect', 'triangle', 'diamond'];
  return render({
    title: { text: o.title, left: 'center', textStyle: { fontSize: 16, color: '#000' } },
    legend: { bottom: 0, textStyle: { color: '#000' } },
    grid: { left: 60, right: 30, top: 75, bottom: 60 },
    xAxis: { type: 'category', data: o.categories, axisLabel: { color: '#000' } },
    yAxis: pctAxis(o.yName),
    series: o.series.map((s, i) => ({
      name: s.name, type: 'line', data: s.values, symbol: symbols[i % symbols.length], symbolSize: 8, connectNulls: false,
      lineStyle: { width: i === 0 ? 3 : 2, type: dashes[i % dashes.length] },
      label: { show: i === 0, position: 'top', formatter: (p: { value: number }) => `${p.value.toFixed(2).replace('.', ',')}%`, color: '#000' },
    })),
  }, size);
}

/** Horizontal bars (one per row), values in percent, labelled at the end. */
export function percentBars(o: { title: string; rows: { name: string; value: number }[]; xName: string }, size: ChartSize = {}): string {
  const height = size.height ?? Math.max(200, 60 + o.rows.length * 22);
  return render({
    title: { text: o.title, left: 'center', textStyle: { fontSize: 16, color: '#000' } },
    grid: { left: 200, right: 70, top: 45, bottom: 30 },
    xAxis: pctAxis(o.xName),
    yAxis: { type: 'category', data: o.rows.map((r) => r.name), inverse: true, axisLabel: { color: '#000', fontSize: 11 } },
    series: [{ type: 'bar', data: o.rows.map((r) => r.value), barMaxWidth: 16,
      label: { show: true, position: 'right', color: '#000', formatter: (p: { value: number }) => `${p.value.toFixed(1).replace('.', ',')}%` } }],
  }, { ...size, height });
}

/** Actual against target per indicator: two bar series side by side ("Thực tế", "Chỉ tiêu"). */
export function targetBars(o: { title: string; rows: { name: string; actual: number; target: number | null }[]; actualName: string; targetName: string; yName: string }, size: ChartSize = {}): string {
  return render({
    title: { text: o.title, left: 'center', textStyle: { fontSize: 16, color: '#000' } },
    legend: { bottom: 0, textStyle: { color: '#000' } },
    grid: { left: 60, right: 30, top: 75, bottom: 80 },
    xAxis: { type: 'category', data: o.rows.map((r) => r.name), axisLabel: { color: '#000', interval: 0, width: 110, overflow: 'break' } },
    yAxis: pctAxis(o.yName),
    series: [
      { name: o.actualName, type: 'bar', data: o.rows.map((r) => r.actual), label: { show: true, position: 'top', color: '#000', formatter: (p: { value: number }) => `${p.value.toFixed(1).replace('.', ',')}%` } },
      { name: o.targetName, type: 'bar', data: o.rows.map((r) => r.target), label: { show: true, position: 'top', color: '#000', formatter: (p: { value: number | null }) => (p.value == null ? '' : `≥ ${p.value}%`) } },
    ],
  }, size);
}
