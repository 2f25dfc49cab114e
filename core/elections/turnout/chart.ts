// The turnout-over-the-day chart, rendered on the server as SVG with Apache ECharts' server-side renderer: one line
// per contest, x = time of day (report times placed at their real time, 'close' at the election's closing time),
// y = turnout % (rule 24) among the polling areas that have reported that time — over all areas the line would
// dip while reports are still coming in. Readable when printed in black and white: each contest has its own dash
// pattern and marker; the first contest's points carry their values (the others are within a point of it and
// would overprint; the page's table has every figure).
import * as echarts from 'echarts';
import { parseTime } from '../calendar/rules.js';
import { CLOSE } from './rules.js';
import type { Cells } from './aggregation.js';

export interface ChartInput {
  title: string;
  slots: readonly string[];
  opens: string;
  closes: string;
  contests: { id: string; label: string }[];
  cells: Cells;
  /** Axis names and the label of 'close', in the page's language. */
  labels: { time: string; percent: string; close: string; decimalComma: boolean };
  width?: number;
  height?: number;
}

const DASHES = ['solid', 'dashed', 'dotted'] as const;
const SYMBOLS = ['circle', 'rect', 'triangle', 'diamond'] as const;
const COLOURS = ['#0b3d91', '#b3261e', '#1e6b2f', '#6b4e16'];

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(Math.round(m % 60)).padStart(2, '0')}`;

export function turnoutChartSvg(i: ChartInput): string {
  const width = i.width ?? 880;
  const height = i.height ?? 440;
  const open = parseTime(i.opens) ?? 7 * 60;
  const close = parseTime(i.closes) ?? 19 * 60;
  const xOf = (slot: string) => (slot === CLOSE ? close : parseTime(slot) ?? close);
  const fmt = (n: number) => (i.labels.decimalComma ? n.toFixed(2).replace('.', ',') : n.toFixed(2));
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: 'Arial, Helvetica, sans-serif', fontSize: 13, color: '#111' },
      title: { text: i.title, left: 'center', top: 6, textStyle: { fontSize: 16, fontWeight: 'bold', color: '#111' } },
      legend: { top: 34, itemWidth: 36, textStyle: { fontSize: 13, color: '#111' }, data: i.contests.map((c) => c.label) },
      grid: { left: 64, right: 36, top: 76, bottom: 56 },
      xAxis: {
        type: 'value', min: Math.min(open, ...i.slots.map(xOf)) , max: Math.max(close, ...i.slots.map(xOf)),
        name: i.labels.time, nameLocation: 'middle', nameGap: 32,
        axisLine: { lineStyle: { color: '#333' } },
        splitLine: { show: true, lineStyle: { color: '#ddd' } },
        axisLabel: { color: '#111', formatter: (v: number) => hhmm(v) },
        interval: 60,
      },
      yAxis: {
        type: 'value', min: 0, max: 100, interval: 20, name: i.labels.percent, nameLocation: 'middle', nameGap: 44,
        axisLine: { show: true, lineStyle: { color: '#333' } },
        splitLine: { lineStyle: { color: '#ddd' } },
        axisLabel: { color: '#111', formatter: (v: number) => `${v}` },
      },
      series: i.contests.map((c, k) => ({
        name: c.label,
        type: 'line',
        symbol: SYMBOLS[k % SYMBOLS.length],
        symbolSize: 9,
        lineStyle: { width: 2.5, type: DASHES[k % DASHES.length], color: COLOURS[k % COLOURS.length] },
        itemStyle: { color: COLOURS[k % COLOURS.length] },
        label: { show: k === 0, position: 'top', fontSize: 12, color: '#111', formatter: (p: { value: [number, number] }) => (p.value[0] === open ? '' : fmt(p.value[1])) },
        // The day starts at 0 % when the polling areas open; a report time with no report yet is left out.
        data: [[open, 0], ...i.slots.filter((s) => (i.cells[c.id]?.[s]?.reported ?? 0) > 0).map((s) => [xOf(s), i.cells[c.id][s].pctReported])],
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
