"""Targets, tables (terminal and Markdown) and the PNG chart, all from the results document."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

SERVICE = "this service, uvicorn"
FLOOR = "floor (bare ASGI), uvicorn"
FLASK_SYNC = "Flask + Flask-CORS, gunicorn sync"


def _target(name: str, value: float | None, limit: float, at_least: bool, detail: str) -> dict[str, Any]:
    met = None if value is None else (value >= limit if at_least else value <= limit)
    return {
        "target": name,
        "value": value,
        "limit": limit,
        "at_least": at_least,
        "met": met,
        "detail": detail,
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, as ratios from this run."""
    out = []
    inprocess = results.get("inprocess")
    if inprocess:
        post = {name: figures["median_us"] for name, figures in inprocess["POST"].items()}
        base = post["Starlette, no CORS"]
        stock, engine = post["Starlette + stock CORSMiddleware"] - base, post["Starlette + engine"] - base
        out.append(
            _target(
                "engine's added cost / stock CORSMiddleware's added cost (in process, POST)",
                engine / stock if stock > 0 else None,
                0.5,
                False,
                f"engine adds {engine:.2f} µs, stock adds {stock:.2f} µs over Starlette without CORS",
            )
        )
    endtoend = results.get("endtoend")
    if endtoend and SERVICE in endtoend:
        service = endtoend[SERVICE]
        for label in (key for key in service if key.startswith("POST")):
            rate = service[label]["requests_per_s"]
            if FLASK_SYNC in endtoend:
                flask = endtoend[FLASK_SYNC][label]["requests_per_s"]
                out.append(
                    _target(
                        f"service / Flask-CORS gunicorn sync, req/s ({label})",
                        rate / flask,
                        6.0,
                        True,
                        f"{rate:,.0f} vs {flask:,.0f} req/s",
                    )
                )
        for label in service:
            if FLOOR in endtoend:
                floor = endtoend[FLOOR][label]["requests_per_s"]
                rate = service[label]["requests_per_s"]
                limit = 0.7 if label.startswith("POST") else 0.8
                out.append(
                    _target(
                        f"service / bare ASGI floor, req/s ({label})",
                        rate / floor,
                        limit,
                        True,
                        f"{rate:,.0f} vs {floor:,.0f} req/s",
                    )
                )
    scaling = results.get("scaling")
    if scaling:
        literal = scaling["literal origins"]
        largest = max(literal, key=int)
        one, most = literal["1"]["request_us"], literal[largest]["request_us"]
        out.append(
            _target(
                f"{largest} literal origins / 1 origin, µs per request",
                most / one,
                1.10,
                False,
                f"{most:.2f} vs {one:.2f} µs (uncached decision: "
                f"{literal[largest]['decision_us']:.2f} vs {literal['1']['decision_us']:.2f} µs)",
            )
        )
    return out


# --- Tables -----------------------------------------------------------------------------------------


def _columns(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    return [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]


def text_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = _columns(head, rows)

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def markdown_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    align = ["---", *("---:" for _ in head[1:])]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [head, align, *rows])


def sections(results: dict[str, Any]) -> list[tuple[str, Sequence[str], list[list[str]]]]:
    """(title, head, rows) for every measured part."""
    out: list[tuple[str, Sequence[str], list[list[str]]]] = []
    inprocess = results.get("inprocess")
    if inprocess:
        floor = inprocess["POST"]["floor (bare ASGI)"]["median_us"]
        rows = [
            [
                name,
                f"{figures['median_us']:.2f}",
                f"{figures['median_us'] / floor:.1f}x",
                f"{inprocess['preflight'][name]['median_us']:.2f}",
            ]
            for name, figures in inprocess["POST"].items()
        ]
        out.append(
            (
                "In process, µs per request (median)",
                ["app", "POST µs", "POST / floor", "preflight µs"],
                rows,
            )
        )
    endtoend = results.get("endtoend")
    if endtoend:
        rows = []
        for name, runs in endtoend.items():
            for label, f in runs.items():
                rows.append(
                    [
                        f"{name}: {label}",
                        f"{f['requests_per_s']:,.0f}",
                        f"{f['p50_ms']:.2f}",
                        f"{f['p99_ms']:.2f}",
                        str(f["errors"]),
                        f"{f['rss_mib']:.1f}",
                    ]
                )
        out.append(
            (
                f"End to end over loopback, {results['settings']['duration_s']:g} s per run "
                "(server on core 0, wrk on core 1)",
                ["server: request", "req/s", "p50 ms", "p99 ms", "errors", "RSS MiB"],
                rows,
            )
        )
    workers = results.get("workers")
    if workers:
        rows = [
            [
                f"{count} worker(s): {label}",
                f"{f['requests_per_s']:,.0f}",
                f"{f['p99_ms']:.2f}",
                str(f["errors"]),
            ]
            for count, runs in workers.items()
            for label, f in runs.items()
        ]
        out.append(
            (
                "This service, 1 vs 2 uvicorn workers (unpinned)",
                ["workers: request", "req/s", "p99 ms", "errors"],
                rows,
            )
        )
    scaling = results.get("scaling")
    if scaling:
        rows = [
            [f"{axis}: {size}", f"{f['request_us']:.2f}", f"{f['decision_us']:.2f}"]
            for axis, sizes in scaling.items()
            for size, f in sizes.items()
        ]
        out.append(
            (
                "How cost grows (Starlette + engine, allowed POST)",
                ["configured", "µs per request (memoised)", "µs per decision (uncached)"],
                rows,
            )
        )
    marks = {True: "met", False: "MISSED", None: "n/a"}
    rows = [
        [
            t["target"],
            "n/a" if t["value"] is None else f"{t['value']:.2f}",
            f"{'≥' if t['at_least'] else '≤'} {t['limit']:g}",
            marks[t["met"]],
            t["detail"],
        ]
        for t in results.get("targets", [])
    ]
    if rows:
        out.append(("Targets", ["target", "ratio", "wanted", "", "figures"], rows))
    return out


def render_text(results: dict[str, Any]) -> str:
    return "\n\n".join(f"{title}\n\n{text_table(head, rows)}" for title, head, rows in sections(results))


def render_markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    header = (
        f"Measured {machine['date']} on {machine['cpus']} cores ({machine['cpu']}), "
        f"Python {machine['python']}; " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + "."
    )
    parts = [header] + [
        f"**{title}**\n\n{markdown_table(head, rows)}" for title, head, rows in sections(results)
    ]
    return "\n\n".join(parts) + "\n"


# --- Chart ------------------------------------------------------------------------------------------


def chart(results: dict[str, Any], path: Path) -> None:
    """A PNG: in-process µs, end-to-end req/s, latency, and how cost grows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(15, 10), constrained_layout=True)
    inprocess, endtoend, scaling = results.get("inprocess"), results.get("endtoend"), results.get("scaling")

    ax = axes[0][0]
    if inprocess:
        names = list(inprocess["POST"])
        ys = range(len(names))
        for offset, kind in ((-0.2, "POST"), (0.2, "preflight")):
            ax.barh(
                [y + offset for y in ys],
                [inprocess[kind][n]["median_us"] for n in names],
                height=0.4,
                label=kind,
            )
        ax.set_yticks(list(ys), names)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("µs per request (log scale; lower is better)")
        ax.legend()
    ax.set_title("In process")

    for ax, metric, label in (
        (axes[0][1], "requests_per_s", "requests/s (higher is better)"),
        (axes[1][0], "p99_ms", "p99 latency, ms (log scale; lower is better)"),
    ):
        if endtoend:
            names = list(endtoend)
            labels = list(next(iter(endtoend.values())))
            ys = range(len(names))
            height = 0.8 / len(labels)
            for i, run in enumerate(labels):
                ax.barh(
                    [y - 0.4 + height * (i + 0.5) for y in ys],
                    [endtoend[n][run][metric] for n in names],
                    height=height,
                    label=run,
                )
            ax.set_yticks(list(ys), names)
            ax.invert_yaxis()
            if metric == "p99_ms":
                ax.set_xscale("log")
            ax.set_xlabel(label)
            ax.legend(fontsize="small")
        ax.set_title("End to end, loopback")

    ax = axes[1][1]
    if scaling:
        for (axis, sizes), colour in zip(scaling.items(), ("C0", "C1", "C2"), strict=False):
            xs = [int(s) for s in sizes]
            request = [f["request_us"] for f in sizes.values()]
            decision = [f["decision_us"] for f in sizes.values()]
            ax.plot(xs, request, marker="o", color=colour, label=f"{axis}: request (memoised)")
            ax.plot(xs, decision, marker="x", ls="--", color=colour, label=f"{axis}: decision (uncached)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("configured count (log scale)")
        ax.set_ylabel("µs (log scale)")
        ax.legend(fontsize="small")
    ax.set_title("How cost grows (Starlette + engine, allowed POST)")
    fig.savefig(path, dpi=80)
    plt.close(fig)
