// Injected by html_report_scale.sh into a copy of report.html (its CSP removed) and run by
// headless Chromium after layout. Writes one line per finding into a pre element (id
// probe-result),
// which --dump-dom prints:
//   overflow PX             page wider than the window by PX (0 = none)
//   contrast MIN WHAT       lowest text contrast ratio (WCAG) and where
//   clipped N               SVG texts reaching outside their chart's viewBox
//   overlap N               stage names drawn over one another within a chart
//   charts N                charts on the page; height PX of the page
//   first-chart-y PX / card-y PX
window.addEventListener('load', () => {
  const lines = [];
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c || '');
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const blend = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const background = (el) => {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let color = { r: 255, g: 255, b: 255, a: 1 };
    const root = parse(getComputedStyle(document.body).backgroundColor);
    if (root && root.a >= 1) color = root;
    for (let i = layers.length - 1; i >= 0; --i) color = blend(layers[i], color);
    return color;
  };
  let min = 100, worst = '';
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own || el.closest('title') || el.tagName === 'TITLE' || el.id === 'probe-result') continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const isSvg = el instanceof SVGElement;
    const fg = parse(isSvg ? style.fill : style.color);
    if (!fg) continue;
    const bg = background(isSvg ? el.closest('svg').parentElement : el);
    const a = luminance(blend(fg, bg)), b = luminance(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < min) {
      min = ratio;
      worst = el.tagName.toLowerCase() + '.' + (el.getAttribute('class') || '') + ' "' +
              el.textContent.trim().slice(0, 30) + '"';
    }
  }
  lines.push('overflow ' + Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
  lines.push('contrast ' + min.toFixed(2) + ' ' + worst);
  let clipped = 0, overlap = 0;
  for (const svg of document.querySelectorAll('svg.chart')) {
    const width = svg.viewBox.baseVal.width, height = svg.viewBox.baseVal.height;
    for (const t of svg.querySelectorAll('text')) {
      const box = t.getBBox();
      if (box.x < -0.5 || box.y < -0.5 || box.x + box.width > width + 0.5 ||
          box.y + box.height > height + 0.5) clipped++;
    }
    const names = [...svg.querySelectorAll('text.stage')].map((t) => t.getBBox())
      .sort((p, q) => p.x - q.x);
    for (let i = 1; i < names.length; ++i) {
      if (names[i].x < names[i - 1].x + names[i - 1].width) overlap++;
    }
  }
  lines.push('clipped ' + clipped);
  lines.push('overlap ' + overlap);
  lines.push('charts ' + document.querySelectorAll('svg.chart').length);
  lines.push('height ' + document.documentElement.scrollHeight);
  const chart = document.querySelector('svg.chart');
  lines.push('first-chart-y ' + (chart ? Math.round(chart.getBoundingClientRect().top) : -1));
  const card = document.getElementById('summary-card');
  lines.push('card-y ' + (card ? Math.round(card.getBoundingClientRect().top) : -1));
  const pre = document.createElement('pre');
  pre.id = 'probe-result';
  pre.textContent = '\n' + lines.join('\n') + '\n';
  document.body.appendChild(pre);
});
