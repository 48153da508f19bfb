// A horizontal bar chart of ratios on a log scale, written as a standalone SVG by hand: plain
// text in system fonts, no scripts, no external resources, a white background (GitHub shows
// SVGs as images, on a dark page in dark mode). Bars start at the 1× line and go right when
// the value is above 1 and left when it is below.

/** Bar is one ratio: its row label, its value (> 0), and the text printed next to it. */
export interface Bar { label: string; value: number; valueText: string; detail: string }

/** BarGroup is a titled run of bars that share a meaning (e.g. "server CPU per message"). */
export interface BarGroup { title: string; bars: Bar[] }

/** LogBarChart is a whole chart: a title, lines of subtitle, the groups, and footnotes. */
export interface LogBarChart {
  title: string
  subtitle: string[]
  /** What left of 1× and right of 1× mean, printed over the axis. */
  below: string
  above: string
  groups: BarGroup[]
  footnotes: string[]
}

const width = 1040
const margin = 16
const plotLeft = 330
const plotRight = 700
const valueLeft = 712
const row = 18
const barHeight = 12
const groupHead = 28
const line = 16
const ticks = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
const colors = { above: '#1f6fb4', below: '#d9620b', one: '#222', grid: '#ddd', text: '#222', muted: '#666' }

/** escapeXml makes `text` safe inside an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** tickLabel prints a tick value as "0.5×", "1×", "20×". */
function tickLabel(value: number): string {
  return `${value}×`
}

/**
 * axisRange returns the ticks the axis spans: from the largest tick at or below both 0.5 and
 * the smallest value, to the smallest tick at or above both 10 and the largest value.
 */
export function axisRange(values: number[]): number[] {
  const low = Math.min(0.5, ...values)
  const high = Math.max(10, ...values)
  const from = [...ticks].reverse().find((t) => t <= low) ?? ticks[0]
  const to = ticks.find((t) => t >= high) ?? ticks[ticks.length - 1]
  return ticks.filter((t) => t >= from && t <= to)
}

/** text writes one SVG text element at (x, y) with optional attributes. */
function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attributes === '' ? '' : ` ${attributes}`}>${escapeXml(content)}</text>`
}

/** logBarChartSvg renders `chart` as an SVG document; every value must be finite and above 0. */
export function logBarChartSvg(chart: LogBarChart): string {
  const values = chart.groups.flatMap((g) => g.bars.map((b) => b.value))
  for (const v of values) if (!(Number.isFinite(v) && v > 0)) throw new Error(`cannot plot ${v} on a log scale`)
  const axis = axisRange(values)
  const logFrom = Math.log(axis[0])
  const logTo = Math.log(axis[axis.length - 1])
  const x = (value: number) => plotLeft + ((Math.log(value) - logFrom) / (logTo - logFrom)) * (plotRight - plotLeft)

  const out: string[] = []
  let y = margin + 16
  out.push(text(margin, y, chart.title, 'font-size="17" font-weight="bold"'))
  for (const sub of chart.subtitle) {
    y += line
    out.push(text(margin, y, sub, `font-size="12" fill="${colors.muted}"`))
  }
  y += line + 12
  out.push(text(x(1) - 8, y, chart.below, `font-size="12" text-anchor="end" fill="${colors.below}" font-weight="bold"`))
  out.push(text(x(1) + 8, y, chart.above, `font-size="12" fill="${colors.above}" font-weight="bold"`))
  const tickRow = (at: number) => axis.map((t) => text(x(t), at, tickLabel(t), `font-size="11" text-anchor="middle" fill="${colors.muted}"`)).join('')
  y += 20
  out.push(tickRow(y))
  y += 4

  const bars: string[] = []
  const grid: string[] = []
  const ones: string[] = []
  for (const group of chart.groups) {
    y += groupHead
    bars.push(text(margin, y - 8, group.title, 'font-size="13" font-weight="bold"'))
    // Grid lines and the 1× line run alongside the group's bars only, clear of its title.
    const top = y
    const bottom = y + group.bars.length * row
    for (const t of axis) {
      const stroke = t === 1 ? `stroke="${colors.one}" stroke-width="1.5"` : `stroke="${colors.grid}" stroke-width="1"`
      const list = t === 1 ? ones : grid
      list.push(`<line x1="${x(t).toFixed(1)}" y1="${top}" x2="${x(t).toFixed(1)}" y2="${bottom}" ${stroke}/>`)
    }
    for (const bar of group.bars) {
      const middle = y + row / 2
      const from = Math.min(x(1), x(bar.value))
      const span = Math.max(1, Math.abs(x(bar.value) - x(1)))
      const color = bar.value >= 1 ? colors.above : colors.below
      bars.push(text(plotLeft - 8, middle + 4, bar.label, 'font-size="12" text-anchor="end"'))
      bars.push(`<rect x="${from.toFixed(1)}" y="${(middle - barHeight / 2).toFixed(1)}" width="${span.toFixed(1)}" height="${barHeight}" fill="${color}"/>`)
      bars.push(`<text x="${valueLeft}" y="${(middle + 4).toFixed(1)}" font-size="12"><tspan font-weight="bold" fill="${color}">${escapeXml(bar.valueText)}</tspan><tspan fill="${colors.muted}" font-size="11"> ${escapeXml(bar.detail)}</tspan></text>`)
      y += row
    }
  }
  y += 14
  out.push(tickRow(y))
  y += 6
  for (const note of chart.footnotes) {
    y += line
    out.push(text(margin, y, note, `font-size="11" fill="${colors.muted}"`))
  }
  const height = y + margin
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.title)}">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<g font-family="-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif" fill="${colors.text}">`,
    ...grid,
    ...bars,
    ...ones,
    ...out,
    '</g>',
    '</svg>',
    '',
  ].join('\n')
}
