"""The HTML comparison report: one self-contained file (PNGs inlined as base64, CSS inline, no
script, no link out), readable in any browser without Twinscape."""
from __future__ import annotations

import base64
import html
import io
from datetime import datetime, timezone
from typing import Any

import numpy as np

from app.analysis.schedule_status import SCHEDULE_RGB, SCHEDULE_STATUSES

STATUS_ORDER = ("built", "partial", "missing", "deviating")
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.t,th.t{text-align:left}.chip{display:inline-block;width:.9em;height:.9em;border-radius:2px;
vertical-align:-.1em;margin-right:.3em}.figs{display:flex;flex-wrap:wrap;gap:1em}.figs figure{margin:0;flex:1 1 45%}
.figs img,img.wide{max-width:100%;border:1px solid #ccc}figcaption{font-size:.85em;color:#555}.muted{color:#666}
.warn{color:#8a5300}
"""


def _rgb(rgb: tuple[int, int, int]) -> str:
    return "#%02x%02x%02x" % tuple(int(c) for c in rgb)


def _status_rgb() -> dict[str, tuple[int, int, int]]:
    from viewers.style import STATUS_RGB  # the colours every view and legend uses

    return STATUS_RGB


def _fmt(value: Any, digits: int = 3, unit: str = "") -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return html.escape(str(value)) + unit


def _img(png: bytes, alt: str, cls: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img{f" class={cls!r}" if cls else ""} alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def histogram_png(edges: np.ndarray, counts: np.ndarray, tolerance: float) -> bytes:
    """Bars coloured as the scan is (diverging, white within tolerance), the tolerance marked."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    from viewers.style import deviation_colors

    edges, counts = np.asarray(edges, float), np.asarray(counts, float)
    centres = (edges[:-1] + edges[1:]) / 2
    reach = float(edges[-1])
    total = counts.sum()
    if total > 0:  # zoom to where the points are, never tighter than 3x the tolerance
        cum = np.cumsum(counts) / total
        lo, hi = centres[np.searchsorted(cum, 0.005)], centres[min(len(centres) - 1, np.searchsorted(cum, 0.995))]
        reach = min(reach, max(3 * tolerance, abs(lo), abs(hi)) * 1.1)
    colours = deviation_colors(centres, tolerance, reach) / 255.0
    fig = Figure(figsize=(8, 3.4), dpi=110)
    ax = fig.add_subplot(1, 1, 1, facecolor="#e9edf2")  # white bars (within tolerance) must show
    ax.bar(centres, counts, width=np.diff(edges), color=colours, edgecolor="#555", linewidth=0.3)
    for x in (-tolerance, tolerance):
        ax.axvline(x, color="#222", linestyle="--", linewidth=1)
    ax.text(tolerance, 0.96, f" ±{tolerance:g} m tolerance", va="top", fontsize=8, transform=ax.get_xaxis_transform())
    ax.set_xlim(-reach, reach)
    ax.set_xlabel("signed distance to the design (m): negative = behind / inside, positive = in front / outside")
    shown = counts[np.abs(centres) <= reach]
    if len(shown) and shown.max() > 100 * max(1.0, shown[shown > 0].min()):
        ax.set_yscale("log")  # the tails (a few per cent of points) would not show on a linear scale
    ax.set_ylabel("points")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _progress_table(title: str, groups: dict[str, dict], colours: dict) -> str:
    head = "".join(f'<th><span class="chip" style="background:{_rgb(colours[s])}"></span>{s}</th>' for s in STATUS_ORDER)
    rows = []
    for name, g in sorted(groups.items()):
        cells = "".join(f"<td>{_fmt(g.get(s, 0))}</td>" for s in STATUS_ORDER)
        rows.append(f'<tr><td class="t">{html.escape(name or "(none)")}</td><td>{_fmt(g.get("elements", 0))}</td>{cells}'
                    f'<td>{_fmt(g.get("progress_pct"), 1, " %")}</td></tr>')
    return (f'<table><tr><th class="t">{html.escape(title)}</th><th>elements</th>{head}<th>progress</th></tr>'
            + "".join(rows) + "</table>")


def _element_table(elements: list[dict], colours: dict) -> str:
    scheduled = any("schedule_status" in e for e in elements)
    extra = "<th class=t>task</th><th class=t>schedule</th>" if scheduled else ""
    rows = []
    for e in elements:
        c = colours.get(e.get("status"), colours.get("not judged", (170, 170, 170)))
        off = e.get("offset") or [None] * 3
        sched = ""
        if scheduled:
            sc = SCHEDULE_RGB.get(e.get("schedule_status"), (150, 150, 150))
            sched = (f'<td class="t">{_fmt(e.get("task"))}</td><td class="t"><span class="chip" style="background:{_rgb(sc)}">'
                     f'</span>{_fmt(e.get("schedule_status"))}</td>')
        rows.append(
            f'<tr><td class="t">{_fmt(e.get("name"))}</td><td class="t">{_fmt(e.get("ifc_class"))}</td>'
            f'<td class="t">{_fmt(e.get("storey"))}</td><td class="t"><span class="chip" style="background:{_rgb(c)}"></span>'
            f'{_fmt(e.get("status"))}</td><td>{_fmt(e.get("coverage") * 100 if e.get("coverage") is not None else None, 0, " %")}</td>'
            f'<td>{_fmt(e.get("mean_distance"))}</td><td>{_fmt(e.get("max_distance"))}</td><td>{_fmt(e.get("points"))}</td>'
            f'<td>{" ".join(_fmt(v) for v in off)}</td>{sched}<td class="t muted">{_fmt(e.get("guid"))}</td></tr>')
    return ('<table><tr><th class="t">name</th><th class="t">class</th><th class="t">storey</th><th class="t">status</th>'
            '<th>coverage</th><th>mean (m)</th><th>max |d| (m)</th><th>points</th><th>offset x y z (m)</th>'
            f'{extra}<th class="t">GlobalId</th></tr>' + "".join(rows) + "</table>")


def _schedule_section(schedule: dict) -> str:
    rows = []
    for name, g in schedule.get("by_task", {}).items():
        cells = "".join(f"<td>{_fmt(g.get(k, 0))}</td>" for k in SCHEDULE_STATUSES)
        rows.append(f'<tr><td class="t">{html.escape(name)}</td><td class="t">{_fmt(g.get("planned"))}</td>'
                    f'<td>{_fmt(g.get("elements", 0))}</td>{cells}</tr>')
    head = "".join(f'<th><span class="chip" style="background:{_rgb(SCHEDULE_RGB[k])}"></span>{k}</th>'
                   for k in SCHEDULE_STATUSES)
    storeys = []
    for name, g in sorted(schedule.get("by_storey", {}).items()):
        cells = "".join(f"<td>{_fmt(g.get(k, 0))}</td>" for k in SCHEDULE_STATUSES)
        storeys.append(f'<tr><td class="t">{html.escape(name or "(none)")}</td><td>{_fmt(g.get("elements", 0))}</td>{cells}</tr>')
    links = "".join(f"<li>{html.escape(line)}</li>" for line in schedule.get("links", {}).get("lines", []))
    return (f'<h2>Planned versus actual at {_fmt(schedule.get("date"))}</h2><ul>{links}</ul>'
            f'<table><tr><th class="t">task</th><th class="t">planned at the date</th><th>elements</th>{head}</tr>'
            + "".join(rows) + "</table>"
            + f'<table><tr><th class="t">storey</th><th>elements</th>{head}</tr>' + "".join(storeys) + "</table>")


def render_html(result, report: dict, images: dict[str, bytes]) -> str:
    """The page: summary, screenshots, histogram, progress by storey and class, elements, settings."""
    colours = _status_rgb()
    s = report["summary"]
    by = s.get("elements_by_status", {})
    chips = " &nbsp; ".join(f'<span class="chip" style="background:{_rgb(colours[k])}"></span>{k}: {by.get(k, 0)}'
                            for k in STATUS_ORDER)
    dev = s.get("deviation", {})
    design = s.get("design", {})
    scan = s.get("scan", {})
    when = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Scan versus design</title><style>{CSS}</style>"
             "</head><body><h1>Scan versus design</h1>",
             f'<p class="muted">Twinscape report, {when}. Design: {html.escape(", ".join(design.get("paths", [])) or "(in memory)")}'
             f' ({_fmt(design.get("crs") or "local")}); scan: {html.escape(str(scan.get("path", "(in memory)")))}'
             f' ({_fmt(scan.get("crs") or "local")}).</p>',
             "<h2>Summary</h2><table>",
             f'<tr><td class="t">progress (built and deviating count whole, partial by coverage)</td><td>{_fmt(s.get("progress_pct"), 1, " %")}</td></tr>',
             f'<tr><td class="t">elements</td><td>{_fmt(s.get("elements"))}</td></tr>',
             f'<tr><td class="t">points used (within {_fmt(s.get("max_distance"), 2, " m")} of the design)</td><td>{_fmt(s.get("points_used"))}</td></tr>',
             f'<tr><td class="t">far points (clutter, left out)</td><td>{_fmt(s.get("far_points"))}</td></tr>',
             f'<tr><td class="t">tolerance</td><td>±{_fmt(s.get("tolerance"), 3, " m")}</td></tr>',
             f'<tr><td class="t">points within tolerance</td><td>{_fmt(dev.get("within_tolerance_pct"), 1, " %")}</td></tr>',
             f'<tr><td class="t">mean / RMS signed distance</td><td>{_fmt(dev.get("mean"), 4, " m")} / {_fmt(dev.get("rms"), 4, " m")}</td></tr>',
             f"</table><p>{chips}</p>"]
    figs = [(k, cap) for k, cap in (("scan", "The scan coloured by signed distance: white within tolerance, blue behind or "
                                             "inside the design, red in front or outside; grey: far points."),
                                    ("model", "The design coloured by element status.")) if k in images]
    if figs:
        parts.append('<div class="figs">' + "".join(f"<figure>{_img(images[k], k)}<figcaption>{html.escape(c)}</figcaption>"
                                                    "</figure>" for k, c in figs) + "</div>")
    edges, counts = result.histogram
    parts.append("<h2>Distances</h2>" + _img(histogram_png(edges, counts, float(s.get("tolerance") or 0.05)), "histogram", "wide"))
    prog = s.get("progress", {})
    parts.append("<h2>Progress by storey</h2>" + _progress_table("storey", prog.get("by_storey", {}), colours))
    parts.append("<h2>Progress by IFC class</h2>" + _progress_table("class", prog.get("by_class", {}), colours))
    if "schedule" in report:
        parts.append(_schedule_section(report["schedule"]))
    parts.append(f'<h2>Elements ({len(report["elements"])})</h2>' + _element_table(report["elements"], colours))
    settings = s.get("settings", {})
    flat = {**{k: v for k, v in settings.items() if k != "verdict"}, **{f"verdict.{k}": v for k, v in settings.get("verdict", {}).items()}}
    parts.append("<h2>Settings</h2><table>" + "".join(f'<tr><td class="t">{html.escape(k)}</td><td>{_fmt(v, 4)}</td></tr>'
                                                    for k, v in flat.items()) + "</table>")
    warnings = s.get("warnings") or []
    if warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f'<li class="warn">{html.escape(w)}</li>' for w in warnings) + "</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)


def render_planned_html(report: dict, header: list[str]) -> str:
    """The schedule-only page: planned state per element at the date and the tasks."""
    s = report["summary"]
    counts = ", ".join(f"{k}: {v}" for k, v in s.get("planned", {}).items())
    rows = "".join("<tr>" + "".join(f'<td class="t">{_fmt(e.get(k))}</td>' for k in header) + "</tr>" for e in report["elements"])
    tasks = "".join(f'<tr><td class="t">{html.escape(k)}</td><td class="t">{_fmt(g.get("planned"))}</td>'
                    f'<td class="t">{_fmt(g.get("start"))}</td><td class="t">{_fmt(g.get("finish"))}</td><td>{_fmt(g.get("elements"))}</td></tr>'
                    for k, g in report.get("schedule", {}).get("by_task", {}).items())
    links = "".join(f"<li>{html.escape(line)}</li>" for line in report.get("schedule", {}).get("links", {}).get("lines", []))
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Planned state</title><style>{CSS}</style></head><body>"
            f"<h1>Planned state at {_fmt(s.get('date'))}</h1><p>{_fmt(s.get('elements'))} elements; {html.escape(counts)}</p>"
            f"<ul>{links}</ul><h2>Tasks</h2><table><tr><th class=t>task</th><th class=t>planned</th><th class=t>start</th>"
            f"<th class=t>finish</th><th>elements</th></tr>{tasks}</table><h2>Elements</h2><table><tr>"
            + "".join(f'<th class="t">{h}</th>' for h in header) + f"</tr>{rows}</table></body></html>\n")
