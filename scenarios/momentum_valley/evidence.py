"""Question 4's verdict: does momentum speed SGD up and carry it past a shallow minimum?

Numbers from the runs: the momentum comparison in the narrow valley (steps
to converge, overshoot) and where the bumpy landscape's weight ends, by
momentum. The numerics are in `engine.py`.
"""

from __future__ import annotations

from scenarios.evidence import Evidence, Verdict
from scenarios.momentum_valley.engine import (
    CONVERGED_FRACTION,
    LANDSCAPE_LEARNING_RATE,
    LANDSCAPE_START,
    LANDSCAPE_STEPS,
    REPORTED_MOMENTA,
    MomentumSweep,
    MomentumValleyResult,
    basin_map,
    landscape_geometry,
    momentum_sweep,
)

BASIN_WORDS = {
    "shallow": "the shallow minimum",
    "deep": "the deep minimum",
    "plateau": "the plateau past the deep minimum",
    "diverged": "nowhere (the run diverged)",
}


# From this condition number on the valley is "narrow" (κ = 1 is a round bowl).
NARROW_CONDITION_NUMBER = 10.0


def valley_name(condition_number: float) -> str:
    """The valley's name: "Round bowl" at condition number 1, "Narrow valley" from
    NARROW_CONDITION_NUMBER, "Valley" in between."""
    if condition_number == 1:
        return "Round bowl"
    return "Narrow valley" if condition_number >= NARROW_CONDITION_NUMBER else "Valley"


def _outcome(steps: int | None, nonfinite_step: int | None, horizon: int) -> str:
    if nonfinite_step is not None:
        return f"diverged (non-finite loss at step {nonfinite_step})"
    if steps is None:
        return f"not converged within {horizon} steps"
    return f"{steps} steps"


def _band_text(band: tuple[str, float, float]) -> str:
    basin, low, high = band
    span = f"{low:.2f}" if low == high else f"{low:.2f}–{high:.2f}"
    return f"{span}: {BASIN_WORDS[basin]}"


def evidence(result: MomentumValleyResult) -> Evidence:
    """Speed-up, overshoot and escape from the shallow minimum, measured.

    From this run and the scenario's cached sweeps: the momentum comparison
    at the run's learning rate and valley, and the landscape's basin map.
    """
    p = result.params
    sweep = momentum_sweep(p.learning_rate, p.condition_number)
    basins = basin_map()
    geometry = landscape_geometry()
    horizon = sweep.horizon
    plain = sweep.for_momentum(0.0)
    fastest = sweep.fastest()
    largest = sweep.momenta[-1]

    def swept(momentum: float) -> str:
        i = sweep.momenta.index(momentum)
        return _outcome(sweep.steps_to_converge[i], sweep.first_nonfinite_step[i], horizon)

    per_momentum = ", ".join(f"momentum {m:g}: {swept(m)}" for m in REPORTED_MOMENTA)
    findings = [
        f"{valley_name(sweep.condition_number)} (condition number {sweep.condition_number:g}, "
        f"learning rate {sweep.learning_rate:g}), "
        f"steps until the loss stays below {CONVERGED_FRACTION:g} of its start — {per_momentum}.",
    ]
    speeds_up = False
    if fastest is not None:
        best_momentum, best_steps = fastest
        speeds_up = best_momentum > 0 and (plain is None or best_steps < plain)
        if speeds_up and plain is not None:
            findings.append(
                f"The fastest was momentum {best_momentum:g} ({best_steps} steps), "
                f"{plain / max(best_steps, 1):.1f}× fewer than plain SGD ({plain} steps)."
            )
        elif speeds_up:
            findings.append(
                f"The fastest was momentum {best_momentum:g} ({best_steps} steps); plain SGD: {swept(0.0)}."
            )
        else:
            # Only the momenta of the comparison were tried: one between 0 and the
            # next may be faster (round bowl, learning rate 0.01: 0.07-0.16 take 3 steps, plain SGD 4).
            findings.append(
                f"Of the momenta compared ({', '.join(f'{m:g}' for m in sweep.momenta)}), plain SGD "
                f"(momentum 0) was the fastest ({best_steps} steps); a momentum between 0 and "
                f"{sweep.momenta[1]:g}, not tried here, may still be faster."
            )
    else:
        diverged = sum(bad is not None for bad in sweep.first_nonfinite_step)
        findings.append(f"No momentum in the comparison converged within {horizon} steps "
                        f"({diverged} of {len(sweep.momenta)} diverged).")
    too_much_slower = fastest is not None and largest != fastest[0] and (
        sweep.steps_to_converge[-1] is None or sweep.steps_to_converge[-1] > fastest[1]
    )
    if too_much_slower:
        findings.append(
            f"More is not always faster: momentum {largest:g} — {swept(largest)}; its w1 swung up to "
            f"{sweep.overshoot[-1]:.2f} past the minimum (plain SGD: {sweep.overshoot[0]:.2f})."
        )

    def this_run(steps: int | None, nonfinite_step: int | None, overshoot: float) -> str:
        if nonfinite_step is not None:
            return _outcome(steps, nonfinite_step, p.steps)
        outcome = _outcome(steps, None, p.steps)
        if steps is not None:
            outcome = "converged in " + outcome
        return f"{outcome}, w1 overshot the minimum by {overshoot:.2f}"

    sentence = f"This run (momentum {p.momentum:g}, {p.steps} steps): " + this_run(
        result.steps_to_converge, result.first_nonfinite_step, result.overshoot)
    if result.has_baseline:
        sentence += "; plain SGD: " + this_run(
            result.baseline_steps_to_converge, result.baseline_first_nonfinite_step, result.baseline_overshoot
        )
    findings.append(sentence + ".")

    findings.append(
        f"Bumpy landscape (learning rate {LANDSCAPE_LEARNING_RATE:g}, {LANDSCAPE_STEPS} steps, start "
        f"w = {LANDSCAPE_START:g}): momentum {p.momentum:g} ends at w = {result.landscape_final:.2f}, "
        f"in {BASIN_WORDS[result.landscape_basin]}"
        + (f"; plain SGD ends at w = {result.baseline_landscape_final:.2f}, in "
           f"{BASIN_WORDS[result.baseline_landscape_basin]}" if result.has_baseline else "")
        + f" (shallow minimum w = {geometry.shallow_minimum:.2f}, loss {geometry.shallow_loss:.2f}; "
        f"deep minimum w = {geometry.deep_minimum:.2f}, loss {geometry.deep_loss:.2f})."
    )
    bands = basins.bands()
    findings.append("Where the weight ends, by momentum — " + "; ".join(_band_text(b) for b in bands) + ".")

    pairs = list(zip(basins.momenta, basins.basins, strict=True))
    deep_momenta = [m for m, b in pairs if b == "deep"]
    escapes = basins.basins[0] == "shallow" and bool(deep_momenta)
    # Too much momentum carries the weight past the deep minimum as well.
    overshoots_deep = bool(deep_momenta) and any(
        b in ("plateau", "diverged") and m > min(deep_momenta) for m, b in pairs
    )
    verdict: Verdict
    if speeds_up and escapes:
        verdict = "holds with a caveat" if (too_much_slower or overshoots_deep) else "holds"
    elif speeds_up or escapes:
        verdict = "holds with a caveat"
    else:
        verdict = "contradicted"
    caveat = ""
    if verdict == "holds with a caveat":
        if not speeds_up:
            caveat = _no_speed_up_caveat(sweep)
        elif not escapes:
            caveat = ("Momentum sped convergence up in the valley, but on the bumpy landscape "
                      + ("no momentum carried the weight into the deep minimum." if not deep_momenta else
                         f"plain SGD did not stop in the shallow minimum either (it ended in "
                         f"{BASIN_WORDS[basins.basins[0]]}), so there was nothing to escape from."))
        else:
            caveat = _too_much_caveat(sweep, pairs, deep_momenta, too_much_slower, overshoots_deep)
    return Evidence(verdict=verdict, findings=tuple(findings), caveat=caveat)


def _steps_text(sweep: MomentumSweep, momentum: float) -> str:
    i = sweep.momenta.index(momentum)
    if sweep.first_nonfinite_step[i] is not None:
        return "diverged"
    steps = sweep.steps_to_converge[i]
    return f"did not converge within {sweep.horizon} steps" if steps is None else f"needed {steps} steps"


def _no_speed_up_caveat(sweep: MomentumSweep) -> str:
    """Momentum got the weight out of the shallow minimum, but did not converge faster in the valley."""
    head = "Momentum carried the bumpy landscape's weight past the shallow minimum, but in the valley "
    fastest = sweep.fastest()
    if fastest is None:
        return head + f"no momentum compared converged within {sweep.horizon} steps."
    return (head + f"it did not speed convergence up: of the momenta compared, plain SGD was the fastest "
            f"({fastest[1]} steps).")


def _too_much_caveat(sweep: MomentumSweep, pairs: list[tuple[float, str]], deep_momenta: list[float],
                     too_much_slower: bool, overshoots_deep: bool) -> str:
    """Momentum helps, but only a moderate amount: too much is slower, or rolls past the deep minimum."""
    clauses = []
    if too_much_slower:
        best_momentum, best_steps = sweep.fastest() or (0.0, 0)
        clauses.append(f"momentum {sweep.momenta[-1]:g} {_steps_text(sweep, sweep.momenta[-1])} in the valley "
                       f"against {best_steps} for momentum {best_momentum:g}")
    if overshoots_deep:
        too_far = [(m, b) for m, b in pairs if b in ("plateau", "diverged") and m > min(deep_momenta)]
        start = too_far[0][0]
        from_start = [m for m, _ in pairs if m >= start]
        at = f"from momentum {start:.2f} up" if len(from_start) == len(too_far) else f"at momentum {start:.2f}"
        where = {"plateau": "rolls past the deep minimum onto the plateau", "diverged": "diverges"}
        clauses.append(f"{at} the bumpy landscape's weight "
                       + " or ".join(dict.fromkeys(where[b] for _, b in too_far)))
    return "Only a moderate momentum helps: " + ", and ".join(clauses) + "."
