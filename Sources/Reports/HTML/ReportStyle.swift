// The report's stylesheet, inlined into report.html: system fonts, light cards, readable tables.

enum ReportStyle {
    static let css = """
    :root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; --card: #ffffff; --accent: #2563eb; }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--fg);
           font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 48px; }
    h1 { font-size: 26px; margin: 0; }
    h2 { font-size: 18px; margin: 0 0 12px; }
    code { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef2f7; padding: 1px 5px; border-radius: 4px; }
    header, section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin-bottom: 18px; }
    .title-row { display: flex; align-items: center; gap: 12px; }
    .muted { color: var(--muted); }
    .small { font-size: 12px; }
    .note { color: var(--muted); font-size: 12px; margin: 8px 0 0; }
    .error { color: #b91c1c; }
    .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px 18px; margin: 14px 0 0; }
    .facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
    .facts dd { margin: 2px 0 0; font-weight: 600; overflow-wrap: anywhere; }
    table { width: 100%; border-collapse: collapse; }
    th, td { text-align: left; vertical-align: top; padding: 7px 10px; border-bottom: 1px solid var(--line); }
    th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .03em; }
    th code { text-transform: none; letter-spacing: 0; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #e5e7eb; color: #374151; }
    .badge-miss, .badge-succeeded { background: #dcfce7; color: #166534; }
    .badge-hit { background: #dbeafe; color: #1e40af; }
    .badge-failed { background: #fee2e2; color: #991b1b; }
    .badge-interrupted { background: #fef3c7; color: #92400e; }
    .time-col { width: 24%; }
    .bar-wrap { position: relative; height: 20px; }
    .bar { position: absolute; top: 3px; left: 0; height: 14px; border-radius: 3px; background: #86efac; }
    .bar-cached { background: #bfdbfe; }
    .bar-wrap span { position: relative; padding-left: 6px; font-size: 12px; font-variant-numeric: tabular-nums; }
    .metrics { font-size: 12px; }
    .metric { display: inline-block; margin: 0 10px 2px 0; color: var(--muted); }
    .metric b { color: var(--fg); font-weight: 600; }
    .cards { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 14px; }
    .card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 120px; }
    .card-label { font-size: 12px; color: var(--muted); }
    .card-value { font-size: 18px; font-weight: 650; font-variant-numeric: tabular-nums; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 12px; }
    figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 4px; }
    svg.chart { width: 100%; height: auto; display: block; font-family: inherit; }
    .chart-title { font-size: 13px; font-weight: 600; fill: var(--fg); }
    .chart-empty, .tick, .axis-label, .legend { font-size: 11px; fill: var(--muted); }
    .legend { fill: var(--fg); }
    .grid { stroke: #eef0f3; }
    .axis, .tick-mark { stroke: #9ca3af; }
    table.summary { width: auto; min-width: 420px; margin-bottom: 14px; }
    .up { color: #15803d; font-weight: 600; }
    .down { color: #b91c1c; font-weight: 600; }
    details summary { cursor: pointer; font-weight: 600; margin: 6px 0 10px; }
    table.answers td { font-size: 13px; }
    table.answers td.prompt { width: 30%; font-weight: 550; }
    .answer { white-space: pre-wrap; }
    .reference { margin-top: 6px; font-weight: 400; color: #374151; font-size: 12px; }
    .chips { margin: 6px 0 2px; }
    .chip { display: inline-block; font-size: 11.5px; padding: 0 7px; border-radius: 999px; margin: 0 4px 3px 0; }
    .chip.hit { background: #dcfce7; color: #166534; }
    .chip.miss { background: #fee2e2; color: #991b1b; text-decoration: line-through; }
    footer { color: var(--muted); font-size: 12px; text-align: center; }
    """
}
