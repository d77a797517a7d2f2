"""Targets, tables (terminal and Markdown) and the PNG chart, all from the results document."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import hostile, ratios
from bench.endtoend import FLASK_SYNC, FLOOR, SERVICE

# Issue 15: the service against what Starlette allows (median over the runs) ...
RATIO_TARGETS = {ratios.CEILING: 0.9, ratios.NAIVE: 1.0}
# ... and a hostile preflight's cost bounded.
HOSTILE_PER_ORDINARY = 10.0


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
    out += ratio_targets(results.get("ratios") or {})
    out += hostile_targets(results.get("hostile") or {})
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


def ratio_targets(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 15, end to end: the service's req/s over each Starlette peer's, median over the runs."""
    out = []
    for mode, figures in measured.items():
        for kind, by_peer in figures["ratio"].items():
            rates = figures["requests_per_s"][kind]
            service = rates[ratios.SERVICE]
            out += [
                _target(
                    f"service / {peer}, req/s ({mode}, {kind}, median of {len(r['runs'])} runs)",
                    r["median"],
                    RATIO_TARGETS[peer],
                    True,
                    f"range {r['min']:.2f}-{r['max']:.2f}; {service:,.0f} vs {rates[peer]:,.0f} req/s",
                )
                for peer, r in by_peer.items()
                if peer in RATIO_TARGETS
            ]
    return out


def hostile_targets(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 15, hostile input: the engine's cost within 10x its ordinary preflight's (for every
    hostile input), and no more than the stock middleware's and Flask-CORS's (for every input)."""
    if not measured:
        return []
    ordinary = measured[hostile.ORDINARY]["apps"][hostile.ENGINE]["median_us"]
    out = []
    for case, figures in measured.items():
        us = {name: f["median_us"] for name, f in figures["apps"].items()}
        # (what, ratio, limit, figures)
        checks = [
            (f"engine / {peer}, µs per request", us[hostile.ENGINE] / us[peer], 1.0, f"{us[peer]:,.1f} µs")
            for peer in (hostile.STOCK, hostile.FLASK)
        ]
        if case != hostile.ORDINARY:
            checks.insert(
                0,
                (
                    "engine on a hostile preflight / its ordinary one",
                    us[hostile.ENGINE] / ordinary,
                    HOSTILE_PER_ORDINARY,
                    f"{ordinary:,.1f} µs",
                ),
            )
        out += [
            _target(f"{what} ({case})", ratio, limit, False, f"{us[hostile.ENGINE]:,.1f} vs {other}")
            for what, ratio, limit, other in checks
        ]
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
    if results.get("hostile"):
        out.append(hostile_section(results["hostile"]))
    if results.get("ratios"):
        out.append(ratio_section(results["ratios"], results["settings"]))
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


def _spread(figures: dict[str, Any] | None) -> str:
    if figures is None:
        return "-"
    return f"{figures['median']:.2f} ({figures['min']:.2f}-{figures['max']:.2f})"


def ratio_section(
    measured: dict[str, Any], settings: dict[str, Any]
) -> tuple[str, list[str], list[list[str]]]:
    kinds = ("POST", "preflight")
    rows = []
    for mode, figures in measured.items():
        rates, errors = figures["requests_per_s"], figures["errors"]
        for name in rates["POST"]:
            rows.append(
                [
                    f"{mode}: {name}",
                    *(_spread(figures["ratio"][kind].get(name)) for kind in kinds),
                    *(f"{rates[kind][name]:,.0f}" if name in rates[kind] else "-" for kind in kinds),
                    str(sum(errors[kind].get(name, 0) for kind in kinds)),
                ]
            )
    title = (
        f"End to end, interleaved: the service's req/s ÷ each server's, {settings['connections']} "
        f"connections, median (min-max) over {settings['runs']} runs of {settings['rounds']} rounds, "
        f"{settings['duration_s']} s each (server on core 0, wrk on core 1)"
    )
    head = ["mode: server", "POST: service ÷ it", "preflight: service ÷ it", "POST req/s", "preflight req/s"]
    return title, [*head, "wrk errors"], rows


def hostile_section(measured: dict[str, Any]) -> tuple[str, list[str], list[list[str]]]:
    rows = []
    for case, figures in measured.items():
        cells = []
        for name in (hostile.ENGINE, hostile.STOCK, hostile.FLASK):
            f, status = figures["apps"][name], figures["answers"][name]["status"]
            cell = f"{f['median_us']:,.1f}" + (
                "" if case == hostile.ORDINARY else f" ({f['per_ordinary']:.1f}x)"
            )
            cells.append(cell + ("" if status == 200 else f" [{status}]"))
        missed = [
            label
            for label, ok in (
                ("≤ 10x ordinary", case == hostile.ORDINARY
                 or figures["apps"][hostile.ENGINE]["per_ordinary"] <= HOSTILE_PER_ORDINARY),
                ("≤ stock", figures["engine_per_stock"] <= 1),
                ("≤ Flask-CORS", figures["engine_per_flask_cors"] <= 1),
            )
            if not ok
        ]  # fmt: skip
        rows.append(
            [
                case,
                f"{figures['head_bytes']:,}",
                *cells,
                f"{figures['engine_per_stock']:.2f}",
                f"{figures['engine_per_flask_cors']:.2f}",
                "MISSED " + ", ".join(missed) if missed else "met",
            ]
        )
    title = (
        "Hostile preflights, in process: µs per request, each request different "
        "(x: over the same app's ordinary preflight; [status] where not 200)"
    )
    head = ["input", "head bytes", "engine", "stock", "Flask-CORS", "engine ÷ stock", "engine ÷ Flask-CORS"]
    return title, [*head, "targets"], rows


def render_text(results: dict[str, Any]) -> str:
    return "\n\n".join(f"{title}\n\n{text_table(head, rows)}" for title, head, rows in sections(results))


def render_markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    header = (
        f"Measured {machine['date']} on {machine['cpus']} cores ({machine['cpu']}), "
        f"Python {machine['python']}; " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + "."
    )
    if "elapsed_s" in results:
        elapsed = results["elapsed_s"]
        parts = ", ".join(f"{part} {s / 60:.1f}" for part, s in elapsed.items() if part != "total")
        header += f" The run took {elapsed['total'] / 60:.1f} minutes ({parts})."
    parts = [header] + [
        f"**{title}**\n\n{markdown_table(head, rows)}" for title, head, rows in sections(results)
    ]
    return "\n\n".join(parts) + "\n"


# --- Chart ------------------------------------------------------------------------------------------


def chart(results: dict[str, Any], path: Path) -> None:
    """A PNG: in-process µs, hostile preflights, the interleaved ratios, end-to-end req/s and
    latency, and how cost grows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(16, 16), constrained_layout=True)
    _chart_inprocess(axes[0][0], results.get("inprocess"))
    _chart_hostile(axes[0][1], results.get("hostile"))
    _chart_ratios(axes[1][0], results.get("ratios"))
    for ax, metric, label in (
        (axes[1][1], "requests_per_s", "requests/s (higher is better)"),
        (axes[2][0], "p99_ms", "p99 latency, ms (log scale; lower is better)"),
    ):
        _chart_endtoend(ax, results.get("endtoend"), metric, label)
    _chart_scaling(axes[2][1], results.get("scaling"))
    fig.savefig(path, dpi=70)
    plt.close(fig)


def _bars(ax: Any, names: list[str], series: dict[str, list[float]]) -> None:
    """Grouped horizontal bars: one group per name, one bar per series."""
    ys = range(len(names))
    height = 0.8 / max(1, len(series))
    for i, (label, values) in enumerate(series.items()):
        ax.barh(
            [y - 0.4 + height * (i + 0.5) for y in ys],
            values,
            height=height,
            label=label,
        )
    ax.set_yticks(list(ys), names)
    ax.invert_yaxis()
    ax.legend(fontsize="small")


def _chart_inprocess(ax: Any, inprocess: dict[str, Any] | None) -> None:
    if inprocess:
        names = list(inprocess["POST"])
        _bars(ax, names, {kind: [inprocess[kind][n]["median_us"] for n in names] for kind in inprocess})
        ax.set_xscale("log")
        ax.set_xlabel("µs per request (log scale; lower is better)")
    ax.set_title("In process")


def _chart_hostile(ax: Any, measured: dict[str, Any] | None) -> None:
    if measured:
        names = [
            case.replace(", allow_headers", ",\nallow_headers").replace(": ", ":\n", 1) for case in measured
        ]
        apps = (hostile.ENGINE, hostile.STOCK, hostile.FLASK)
        _bars(ax, names, {app: [f["apps"][app]["median_us"] for f in measured.values()] for app in apps})
        ax.tick_params(axis="y", labelsize="small")
        ax.set_xscale("log")
        ax.set_xlabel("µs per request, each request different (log scale; lower is better)")
    ax.set_title("Hostile preflights, in process")


def _chart_ratios(ax: Any, measured: dict[str, Any] | None) -> None:
    if measured:
        rows = [(mode, peer) for mode, figures in measured.items() for peer in figures["ratio"]["POST"]]
        for offset, kind in ((-0.15, "POST"), (0.15, "preflight")):
            ys, medians, below, above = [], [], [], []
            for y, (mode, peer) in enumerate(rows):
                r = measured[mode]["ratio"][kind].get(peer)
                if r is not None:
                    ys.append(y + offset)
                    medians.append(r["median"])
                    below.append(r["median"] - r["min"])
                    above.append(r["max"] - r["median"])
            ax.errorbar(medians, ys, xerr=[below, above], fmt="o", capsize=4, label=kind)
        ax.set_yticks(range(len(rows)), [f"{mode}:\nservice ÷ {peer}" for mode, peer in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.tick_params(axis="y", labelsize="small")
        ax.set_xscale("log")
        low, high = ax.get_xlim()
        ax.set_xticks([t for t in (0.25, 0.5, 0.7, 0.9, 1, 1.2, 1.5, 2, 3, 4, 6, 8, 12) if low <= t <= high])
        ax.xaxis.set_major_formatter("{x:g}")
        ax.xaxis.set_minor_formatter("")
        for target in sorted(set(RATIO_TARGETS.values())):
            ax.axvline(target, color="grey", ls="--", lw=1)
        ax.set_xlabel("the service's req/s ÷ the server's: median and range over the runs (log scale)")
        ax.legend(fontsize="small")
    ax.set_title("End to end, interleaved rounds (dashed: the targets 0.9 and 1.0)")


def _chart_endtoend(ax: Any, endtoend: dict[str, Any] | None, metric: str, label: str) -> None:
    if endtoend:
        names = list(endtoend)
        runs = list(next(iter(endtoend.values())))
        _bars(ax, names, {run: [endtoend[n][run][metric] for n in names] for run in runs})
        if metric == "p99_ms":
            ax.set_xscale("log")
        ax.set_xlabel(label)
    ax.set_title("End to end, loopback")


def _chart_scaling(ax: Any, scaling: dict[str, Any] | None) -> None:
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
