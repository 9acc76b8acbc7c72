"""Hypothesis strategies for random *valid* scenario dicts, small enough to simulate fast.

``scenarios()`` draws a scenario dict for ``Scenario.model_validate``: 2-6 measured days, a warm-up
of 0 or 1 day, a run-out cap of 0-3 days, 50-400 contacts a day, and a random choice of every
optional process (patience, lines, escalation, opening hours with closed days kept or lost,
demand events, complaints, field service with or without booking, slots and depot, an overtime
margin, spot checks that catch failures, parts with 1-3 SKUs under every policy, product lines
with skills per shift and SKUs per line, stock in the vans, training and attrition, follow-up by
call or by visit).
Keyword flags force a section on, so a property about, say, lines or parts is exercised every
time rather than in the share of examples that happen to have the section.

Durations are drawn from every allowed family (a bare number, constant, exponential, lognormal,
gamma, uniform, triangular, truncated normal, empirical) around a mean chosen per key, with
light enough tails that one example simulates in well under 0.3 s.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Dict = dict[str, Any]


def _r(x: float) -> float:
    return round(x, 3)


@st.composite
def distributions(draw: st.DrawFn, mean_low: float, mean_high: float,
                  allow_zero: bool = False) -> Any:
    """A distribution spec (or a bare number) with a mean in [mean_low, mean_high]."""
    mean = _r(draw(st.floats(mean_low, mean_high)))
    families = ["bare", "constant", "exponential", "lognormal", "gamma", "uniform",
                "triangular", "normal", "empirical"]
    if allow_zero:
        families.append("zero")
    family = draw(st.sampled_from(families))
    cv = _r(draw(st.floats(0.1, 1.2)))
    if family == "zero":
        return 0
    if family == "bare":
        return mean
    if family == "constant":
        return {"dist": "constant", "value": mean}
    if family == "exponential":
        return {"dist": "exponential", "mean": mean}
    if family in ("lognormal", "gamma"):
        return {"dist": family, "mean": mean, "cv": cv}
    if family == "uniform":
        return {"dist": "uniform", "low": _r(mean * 0.5), "high": _r(mean * 1.5)}
    if family == "triangular":
        low = _r(draw(st.floats(0.0, mean)))
        high = _r(2 * mean + 0.01)
        mode = _r(draw(st.floats(low, high)))
        return {"dist": "triangular", "low": low, "mode": mode, "high": high}
    if family == "normal":
        # The mean before truncation may be negative: the truncated normal is still valid.
        return {"dist": "normal", "mean": _r(draw(st.floats(-0.5 * mean, mean))),
                "sd": _r(mean * cv)}
    values = draw(st.lists(st.floats(0.0, 2 * mean).map(_r), min_size=1, max_size=4))
    spec: Dict = {"dist": "empirical", "values": values}
    if draw(st.booleans()):
        weights = draw(st.lists(st.integers(0, 5), min_size=len(values), max_size=len(values)))
        if sum(weights) > 0:
            spec["weights"] = weights
    return spec


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def shift(draw: st.DrawFn, name: str, count_low: int, count_high: int,
          overnight: bool = False) -> Dict:
    """One shift; ``overnight`` makes it end earlier than it starts (past midnight)."""
    if overnight:
        start = draw(st.integers(17 * 4, 23 * 4)) * 15
        end = draw(st.integers(1 * 4, 8 * 4)) * 15
    else:
        start = draw(st.integers(0, 16 * 4)) * 15
        end = min(start + draw(st.integers(4 * 4, 10 * 4)) * 15, 1440)
    days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
    out: Dict = {"name": name, "start": _hhmm(start), "end": _hhmm(end) if end < 1440 else "24:00",
                 "count": draw(st.integers(count_low, count_high))}
    if draw(st.booleans()):
        out["days"] = sorted(days, key=DAYS.index)
    return out


@st.composite
def staffing(draw: st.DrawFn, low: int, high: int) -> int | list[Dict]:
    """A bare integer (around the clock) or 1-3 shifts, one of them possibly overnight."""
    if draw(st.booleans()):
        return draw(st.integers(low, high))
    n = draw(st.integers(1, 3))
    overnight = draw(st.integers(-1, n - 1))  # -1: no overnight shift
    return [draw(shift(f"s{i}", max(low, 1) if i == 0 else 0, high, overnight=i == overnight))
            for i in range(n)]


@st.composite
def mixes(draw: st.DrawFn, repair: bool) -> dict[str, float]:
    """A demand mix from small integer weights; ``repair`` forces a repair share."""
    weights = [draw(st.integers(0, 4)) for _ in range(3)]
    if repair and weights[1] == 0:
        weights[1] = 1
    if sum(weights) == 0:
        weights[0] = 1
    total = sum(weights)
    mix = {k: w / total for k, w in zip(("inquiry", "repair", "complaint"), weights, strict=True)
           if w > 0}
    # Make the float sum exactly 1 whatever the rounding: the last share takes the rest.
    last = list(mix)[-1]
    mix[last] = 1.0 - sum(v for k, v in mix.items() if k != last)
    return mix


@st.composite
def policies(draw: st.DrawFn) -> Dict:
    """A replenishment policy of any type."""
    kind = draw(st.sampled_from(("base_stock", "sS", "rQ", "periodic")))
    if kind == "base_stock":
        return {"type": "base_stock", "level": draw(st.integers(0, 8))}
    if kind == "sS":
        s = draw(st.integers(0, 5))
        return {"type": "sS", "s": s, "S": s + draw(st.integers(1, 8))}
    if kind == "rQ":
        return {"type": "rQ", "r": draw(st.integers(-1, 5)), "Q": draw(st.integers(1, 8))}
    return {"type": "periodic", "review_days": _r(draw(st.floats(0.25, 2.0))),
            "S": draw(st.integers(0, 10))}


@st.composite
def parts_sections(draw: st.DrawFn) -> Dict:
    """1-3 SKUs with random policies, stock, lead times and reject rates."""
    n = draw(st.integers(1, 3))
    shares = _shares(draw, n)
    skus = []
    for i in range(n):
        skus.append({
            "sku": f"p{i}",
            "share": shares[i],
            "unit_cost": _r(draw(st.floats(0.0, 200.0))),
            "initial_on_hand": draw(st.integers(0, 10)),
            "policy": draw(policies()),
            "lead_time_days": draw(distributions(0.2, 2.0, allow_zero=True)),
            "reject_rate": draw(st.sampled_from((0.0, 0.0, 0.1, 0.3, 0.6))),
            "shrinkage_per_year": draw(st.sampled_from((0.0, 0.0, 2.0, 10.0))),
        })
    section = {"need_probability": draw(st.sampled_from((0.3, 0.7, 1.0))), "skus": skus,
               "order_cost": 10}
    if draw(st.booleans()):
        section["count_days"] = draw(st.sampled_from((0.5, 1.0, 3.0)))
    return section


def _shares(draw: st.DrawFn, n: int) -> list[float]:
    weights = [draw(st.integers(1, 4)) for _ in range(n)]
    shares = [w / sum(weights) for w in weights]
    shares[-1] = 1.0 - sum(shares[:-1])
    return shares


@st.composite
def product_lines(draw: st.DrawFn, technicians: int | list[Dict]) -> tuple[list[Dict], list[Dict]]:
    """1-3 product lines (shares, sometimes their own repair time, fix and part-need
    probabilities) and the technicians as shifts with skills. The first shift with people can
    repair every line (a line nobody can repair is refused); the others know a random subset."""
    names = [f"l{i}" for i in range(draw(st.integers(1, 3)))]
    lines = []
    for name, share in zip(names, _shares(draw, len(names)), strict=True):
        line: Dict = {"name": name, "share": share}
        if draw(st.booleans()):
            line["repair_minutes"] = draw(distributions(10.0, 60.0))
        if draw(st.booleans()):
            line["fix_probability"] = draw(st.sampled_from((0.5, 0.9, 1.0)))
        if draw(st.booleans()):
            line["need_probability"] = draw(st.sampled_from((0.0, 0.5, 1.0)))
        lines.append(line)
    shifts = ([{"name": "all", "start": "00:00", "end": "24:00", "count": technicians}]
              if isinstance(technicians, int) else [dict(s) for s in technicians])
    everyone = next(i for i, s in enumerate(shifts) if s["count"] > 0)
    for i, s in enumerate(shifts):
        if i != everyone and draw(st.booleans()):
            s["skills"] = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    return lines, shifts


@st.composite
def van_stock(draw: st.DrawFn, skus: list[str]) -> Dict:
    """Every technician's van: 0-3 units of some SKUs, refilled nightly or every few days."""
    section: Dict = {"delivery_hours": draw(st.sampled_from((0.0, 2.0, 24.0))),
                     "skus": {sku: draw(st.integers(0, 3)) for sku in skus if draw(st.booleans())}}
    if draw(st.booleans()):
        section["refill"] = {"refill_days": draw(st.sampled_from((0.5, 1.0, 2.5)))}
    return section


@st.composite
def training_sections(draw: st.DrawFn) -> Dict:
    """Hours off the road on a weekday, a ramp, and an effect in either direction."""
    return {
        "hours_per_technician_month": draw(st.sampled_from((0.0, 2.0, 8.0, 40.0))),
        "cost_per_hour": draw(st.sampled_from((0.0, 50.0))),
        "weekday": draw(st.sampled_from(DAYS)),
        "ramp_months": draw(st.sampled_from((0.05, 1.0, 3.0))),
        "effect": {"fix_probability": draw(st.sampled_from((-0.2, 0.0, 0.1))),
                   "quality_pass_probability": draw(st.sampled_from((-0.2, 0.0, 0.05))),
                   "repair_minutes": draw(st.sampled_from((-0.5, 0.0, 0.3)))},
    }


@st.composite
def scenarios(draw: st.DrawFn, *, repair: bool = False, lines: bool = False,
              escalation: bool = False, patience: bool = False, parts: bool = False,
              complaints: bool = False, followup: bool = False, depot: bool = False,
              redial: bool = False, products: bool = False, vans: bool = False,
              training: bool = False) -> Dict:
    """A random valid scenario dict; each flag forces that feature on."""
    want_parts = parts or vans or draw(st.booleans())
    repair = repair or parts or followup or depot or products or vans or training \
        or draw(st.booleans())
    mix = draw(mixes(repair=repair))
    has_repair = "repair" in mix

    cc: Dict = {
        "agents": draw(staffing(1, 12)),
        "handle_minutes": {k: draw(distributions(1.0, 8.0)) for k in mix},
        "answer_target_seconds": draw(st.sampled_from((20, 60))),
    }
    if complaints or followup or draw(st.booleans()):
        cc["handle_minutes"].setdefault("complaint", draw(distributions(2.0, 10.0)))
    if patience or draw(st.booleans()):
        cc["patience_minutes"] = draw(distributions(0.5, 8.0))
    if lines or draw(st.booleans()):
        cc["lines"] = draw(st.integers(1, 20))
    if escalation or draw(st.booleans()):
        probability = {k: draw(st.sampled_from((0.0, 0.2, 0.5, 1.0))) for k in mix}
        cc["escalation"] = {"probability": probability, "specialists": draw(staffing(1, 3)),
                            "handle_minutes": draw(distributions(2.0, 12.0))}
    if redial or draw(st.integers(0, 2)) == 0:
        cc["redial"] = {"probability": draw(st.sampled_from((0.3, 0.8, 1.0))),
                        "delay_minutes": draw(distributions(0.5, 60.0, allow_zero=True)),
                        "max_attempts": draw(st.integers(2, 4))}
    if draw(st.integers(0, 3)) == 0:
        # Ten hours a day, from any hour: from 15:00 on, past midnight; some days closed.
        open_at = draw(st.integers(0, 23)) * 60
        cc["hours"] = {"open": _hhmm(open_at), "close": _hhmm((open_at + 10 * 60) % 1440)}
        if draw(st.booleans()):
            days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=6, unique=True))
            cc["hours"]["days"] = sorted(days, key=DAYS.index)

    demand: Dict = {"contacts_per_day": draw(st.integers(50, 400)), "mix": mix,
                    "closed_hours": draw(st.sampled_from(("queue", "lost")))}
    if draw(st.booleans()):
        demand["weekly_profile"] = [draw(st.integers(1, 4)) for _ in range(7)]
    if draw(st.booleans()):
        demand["hourly_profile"] = draw(st.sampled_from(("flat", "business_hours")))
    if draw(st.integers(0, 3)) == 0:
        demand["events"] = [{"name": "shock", "start_day": draw(st.integers(0, 3)),
                             "days": draw(st.integers(1, 2)),
                             "multiplier": draw(st.sampled_from((0.5, 1.5, 2.0)))}]

    scenario: Dict = {
        "name": "prop",
        "warmup_days": draw(st.integers(0, 1)),
        "horizon_days": draw(st.integers(2, 6)),
        # Short caps keep overloaded examples fast; 0 stops at the horizon (everything cut).
        "run_out_max_days": draw(st.sampled_from((0.0, 1.0, 3.0))),
        "demand": demand,
        "call_center": cc,
    }
    if complaints or draw(st.booleans()):
        scenario["complaints"] = {"deadline_hours": draw(st.sampled_from((4, 24, 48))),
                                  "handlers": draw(staffing(1, 3)),
                                  "resolution_hours": draw(distributions(0.2, 3.0))}
    if has_repair:
        fs: Dict = {
            "technicians": draw(staffing(1, 10)),
            "dispatch_rule": draw(st.sampled_from(("fifo", "earliest_due"))),
            "promised_hours": {"onsite": draw(st.sampled_from((8, 24, 48))),
                               "depot": draw(st.sampled_from((24, 72)))},
            "travel_minutes": draw(distributions(5.0, 40.0, allow_zero=True)),
            "diagnosis_minutes": draw(distributions(5.0, 20.0, allow_zero=True)),
            "repair_minutes": draw(distributions(10.0, 60.0)),
            "fix_probability": draw(st.sampled_from((0.5, 0.8, 1.0))),
            "quality_pass_probability": draw(st.sampled_from((0.5, 0.9, 1.0))),
            "spot_check_share": draw(st.sampled_from((0.0, 0.5))),
            "spot_check_detection": draw(st.sampled_from((0.0, 0.5, 1.0))),
            "rework_delay_hours": draw(distributions(1.0, 24.0, allow_zero=True)),
            "max_overtime_minutes": draw(st.sampled_from((0.0, 30.0, 120.0, 1e6))),
        }
        if draw(st.booleans()):
            fs["booking"] = {"min_lead_hours": draw(st.sampled_from((0, 2, 6)))}
            if draw(st.booleans()):
                first = draw(st.integers(0, 14)) * 60
                fs["booking"]["slots"] = [
                    {"start": _hhmm(first), "end": _hhmm(first + 4 * 60)},
                    {"start": _hhmm(first + 5 * 60), "end": _hhmm(first + 9 * 60)}]
                fs["booking"]["capacity_per_technician"] = draw(st.integers(1, 3))
        if depot or draw(st.booleans()):
            fs["onsite_share"] = draw(st.sampled_from((0.0, 0.5, 0.8)))
            fs["depot"] = {"technicians": draw(staffing(1, 4)),
                           "transit_hours": draw(distributions(1.0, 12.0, allow_zero=True)),
                           "repair_minutes": draw(distributions(15.0, 60.0))}
        if products or draw(st.integers(0, 3)) == 0:
            demand["products"], fs["technicians"] = draw(product_lines(fs["technicians"]))
        if training or draw(st.integers(0, 3)) == 0:
            scenario["training"] = draw(training_sections())
        if draw(st.integers(0, 3)) == 0:
            fs["attrition_per_year"] = draw(st.sampled_from((0.2, 3.0)))
        scenario["field_service"] = fs
        if want_parts:
            section = draw(parts_sections())
            names = [line["name"] for line in demand.get("products", [])]
            if names:
                # The first SKU serves every line (a line that uses no SKU is refused).
                for sku in section["skus"][1:]:
                    if draw(st.booleans()):
                        sku["products"] = draw(st.lists(st.sampled_from(names), min_size=1,
                                                        unique=True))
            if vans or draw(st.integers(0, 2)) == 0:
                section["van_stock"] = draw(van_stock([sku["sku"] for sku in section["skus"]]))
            scenario["parts"] = section
        if followup or draw(st.booleans()):
            scenario["followup"] = {
                "channel": draw(st.sampled_from(("call", "visit"))),
                "within_hours": draw(st.sampled_from((2, 12, 72))),
                "call_minutes": draw(distributions(1.0, 6.0)),
                "reach_probability": draw(st.sampled_from((0.0, 0.5, 1.0))),
                "retry_hours": draw(st.sampled_from((0.5, 2, 8))),
                "complaint_probability_if_unhappy": draw(st.sampled_from((0.0, 0.5, 1.0))),
            }
            scenario["satisfaction"] = {"base": draw(st.sampled_from((2.0, 4.6))),
                                        "unhappy_below": draw(st.sampled_from((3.0, 5.0)))}
    return scenario


seeds = st.integers(0, 2**32 - 1)
