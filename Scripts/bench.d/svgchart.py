"""An SVG bar chart of messages/s, written as text (no plotting library on the machine, none needed).

One panel per mix and RTT, one horizontal bar per contender, on a log scale: the contenders span three
orders of magnitude (the floor's thousands per second against a loop's hundred), which a linear axis
would flatten into the floor and a row of slivers. Mailgate's bar is the coloured one.
"""
import math
from xml.sax.saxutils import escape

W, LABEL, VALUE, BAR, GAP, HEAD = 900, 190, 150, 18, 6, 30
PLOT = W - LABEL - VALUE - 20


def chart(summary, mixes, cfg, mix_names, names, order, when):
    rates = [s["rate"] for s in summary.values() if "rate" in s]
    if not rates:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><text x="10" y="25">no data</text></svg>\n'
    lo = 10 ** math.floor(math.log10(min(rates)))
    hi = 10 ** math.ceil(math.log10(max(rates)))

    def x(rate):
        return LABEL + PLOT * (math.log10(rate) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    out = []
    y = 50
    for rtt in (0, 20):
        for mx in mixes:
            rows = [(c, summary[(mx, rtt, c)]) for c in order if (mx, rtt, c) in summary]
            if not rows:
                continue
            n = f"{cfg['n']:,}" if rtt == 0 else f"{cfg['rtt_n']:,}"
            if rtt == 0 and cfg.get("slow_n", cfg["n"]) != cfg["n"]:
                n += f" ({names['getmail']} and the Odoo loop: {cfg['slow_n']:,})"
            out.append(f'<text x="10" y="{y + 16}" class="h">{escape(mix_names[mx])}, {rtt} ms RTT, {n} messages</text>')
            y += HEAD
            top = y
            first = len(out)
            for c, s in rows:
                out.append(f'<text x="{LABEL - 8}" y="{y + BAR - 5}" class="l" text-anchor="end">{escape(names[c])}</text>')
                if "rate" in s:
                    colour = "#d9480f" if c == "mailgate" else ("#868e96" if c == "floor" else "#4c6ef5")
                    w = max(x(s["rate"]) - LABEL, 1)
                    out.append(f'<rect x="{LABEL}" y="{y}" width="{w:.1f}" height="{BAR}" fill="{colour}"/>')
                    label = f"{s['rate']:,.0f}/s" + (f"  {s['median']:.2f} s" if rtt else "")
                    out.append(f'<text x="{LABEL + w + 6:.1f}" y="{y + BAR - 5}" class="v">{label}</text>')
                else:
                    out.append(f'<text x="{LABEL + 6}" y="{y + BAR - 5}" class="v">incomplete</text>')
                y += BAR + GAP
            # Decade grid lines of this panel, drawn first so the bars cover them.
            grid, d = [], lo
            while d <= hi:
                gx = x(d)
                grid.append(f'<line x1="{gx:.1f}" y1="{top - 4}" x2="{gx:.1f}" y2="{y}" class="g"/>')
                grid.append(f'<text x="{gx:.1f}" y="{y + 12}" class="t" text-anchor="middle">{d:,.0f}</text>')
                d *= 10
            out[first:first] = grid
            y += 26
    height = y + 10
    title = f"Mailgate fetch benchmark: messages/s, log scale (median; {escape(when)})"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" viewBox="0 0 {W} {height}" '
            f'font-family="sans-serif">\n'
            '<style>.h{font-size:14px;font-weight:bold}.l{font-size:12px}.v{font-size:12px}'
            '.t{font-size:10px;fill:#666}.g{stroke:#ccc;stroke-width:1}</style>\n'
            f'<rect width="{W}" height="{height}" fill="white"/>\n'
            f'<text x="10" y="24" font-size="16" font-weight="bold">{title}</text>\n')
    return head + "\n".join(out) + "\n</svg>\n"
