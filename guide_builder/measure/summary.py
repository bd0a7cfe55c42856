"""The end-of-run summary, computed from runs.csv rows alone (so anyone can recompute it)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

SPREAD_WARN = 0.05  # IQR/median above this gets a warning (as pyperf warns on unstable runs)
LEAK_GIB = 0.02  # memory growth first -> last stability image above this is reported as a leak


@dataclass
class Spread:
    n: int
    median: float
    p90: float
    iqr: float

    @property
    def relative_iqr(self) -> float:
        return self.iqr / self.median if self.median else 0.0


def spread(values: list[float]) -> Spread | None:
    if not values:
        return None
    if len(values) == 1:
        return Spread(1, values[0], values[0], 0.0)
    q = statistics.quantiles(values, n=20, method="inclusive")  # 5 % steps
    q1, q3 = statistics.quantiles(values, n=4, method="inclusive")[0::2]
    return Spread(len(values), statistics.median(values), q[17], q3 - q1)


@dataclass
class Stability:
    n: int
    errors: int
    non_finite: int
    growth_gib: float | None
    deterministic: bool | None

    @property
    def leak(self) -> bool:
        return self.growth_gib is not None and self.growth_gib > LEAK_GIB


def _f(cell: str) -> float | None:
    return float(cell) if cell not in ("", None) else None


def group_key(row: dict[str, str]) -> tuple[str, str, str, str]:
    where = row.get("gpu_name") or row.get("gpu_name_nvml") or row["device"]
    if row.get("gpu_index"):
        where = f"{row['gpu_index']}:{where}"
    return where, row["workload"], row["variant"], row.get("memory_cap_gib") or ""


def stability(rows: list[dict[str, str]]) -> Stability:
    """Errors, memory growth and determinism of a configuration's stability images."""
    peaks = [_f(r["peak_allocated_gib"]) for r in rows if _f(r.get("peak_allocated_gib", ""))]
    hashes = {r["image_sha256"] for r in rows if r["status"] == "ok" and r.get("image_sha256")}
    return Stability(
        n=len(rows),
        errors=sum(r["status"] != "ok" for r in rows),
        non_finite=sum("non-finite" in (r.get("error") or "") for r in rows),
        growth_gib=(peaks[-1] - peaks[0]) if len(peaks) >= 2 else None,
        # NaN images all hash alike: only finite, ok images may vouch for determinism
        deterministic=(len(hashes) == 1) if hashes else None,
    )


def summarise(rows: list[dict[str, str]]) -> dict[tuple, dict[str, Any]]:
    """Per GPU x workload x variant x cap: timed spread, peak memory, failures, stability."""
    groups: dict[tuple, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        groups[group_key(r)].append(r)
    out = {}
    for key, rs in groups.items():
        timed = [_f(r["total_s"]) for r in rs if r["phase"] == "timed" and r["status"] == "ok"]
        memory = [r for r in rs if r["phase"] == "memory" and r["status"] == "ok"]
        stab = [r for r in rs if r["phase"] == "stability"]
        out[key] = {
            "timed": spread([t for t in timed if t is not None]),
            "peak_gib": _f(memory[-1]["peak_allocated_gib"]) if memory else None,
            "oom": sum(r["status"] == "oom" for r in rs),
            "errors": sum(r["status"] == "error" for r in rs),
            "first_error": next((r["error"] for r in rs if r["status"] != "ok"), ""),
            "stability": stability(stab) if stab else None,
        }
    return out


def render(rows: list[dict[str, str]]) -> str:
    """A readable table plus warnings."""
    lines = [
        f"{'device':<22} {'workload':<20} {'variant':<20} {'cap':>5} {'median s':>9} {'p90 s':>8} "
        f"{'IQR s':>7} {'n':>4} {'peak GiB':>8}  notes"
    ]
    warnings = []
    for (where, workload, variant, cap), s in summarise(rows).items():
        t = s["timed"]
        notes = []
        if s["oom"]:
            notes.append(f"OOM x{s['oom']}")
        if s["errors"]:
            notes.append(f"errors x{s['errors']}")
        if t and t.relative_iqr > SPREAD_WARN:
            warnings.append(
                f"WARNING {where} {workload} {variant}: IQR is {t.relative_iqr:.1%} of the median "
                "(> 5 %): the figures are unstable; close other work or run longer"
            )
        st = s["stability"]
        if st:
            det = {True: "deterministic", False: "NON-DETERMINISTIC", None: "determinism unknown"}[
                st.deterministic
            ]
            growth = "n/a" if st.growth_gib is None else f"{st.growth_gib:+.3f} GiB"
            notes.append(f"stability n={st.n} errors={st.errors} growth={growth} {det}")
            if st.leak:
                warnings.append(
                    f"WARNING {where} {workload} {variant}: memory grew {growth} over the stability pass (leak)"
                )
            if st.non_finite:
                warnings.append(
                    f"WARNING {where} {workload} {variant}: {st.non_finite} images with non-finite latents"
                )
            if st.deterministic is False:
                warnings.append(
                    f"WARNING {where} {workload} {variant}: the same seed gave different images"
                )
        if cap:
            notes.append("capped: memory representative, time not")

        def num(v, fmt):
            return format(v, fmt) if v is not None else "-"

        lines.append(
            f"{where[:22]:<22} {workload[:20]:<20} {variant[:20]:<20} {cap or '-':>5} "
            f"{num(t and t.median, '.3f'):>9} {num(t and t.p90, '.3f'):>8} {num(t and t.iqr, '.3f'):>7} "
            f"{t.n if t else 0:>4} {num(s['peak_gib'], '.2f'):>8}  {'; '.join(notes)}"
        )
    return "\n".join(lines + warnings)
