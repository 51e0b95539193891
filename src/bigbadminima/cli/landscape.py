"""Landscape theory and ML-AMP on the command line (theory.md §D, §E).

Questions (answer in well under a second, ``--json`` for machines):

* ``thresholds``        1/Δ2 of ML-AMP, gradient flow and trivialisation for (p, Δp);
* ``minimum``           the good minimum (m*, μ*, ε*);
* ``threshold-states``  the marginal states at m = 0 (μ_th, ε, Σ_th, BBP outlier).

Tables for the figures (tidy CSV, one row per observation):

* ``phase-diagram-tables``      thresholds on a Δp grid + Bayes-optimal region boundaries;
* ``complexity-table``          Σ_min(m) and Σ of all stationary points;
* ``landscape-map-table``       Σ(m, ε) for minima and all stationary points + reference states;
* ``threshold-spectrum-table``  bulk edges and outlier of the threshold states vs 1/Δ2;
* ``zero-overlap-table``        stationary points at m = 0 by μ, minima and saddles, from GF to triv;
* ``hessian-spectra``           finite-N Hessian spectra along gradient flow (measured vs theory);
* ``amp-runs``                  finite-N ML-AMP iterates, their state evolution, and the fixed points.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from .. import landscape as L
from ..params import ModelParams, ParameterError
from ._common import (
    CliError,
    add_instance_set_argument,
    add_inv_delta2_list_argument,
    add_model_arguments,
    add_seeds_argument,
    add_tensor_layout_argument,
    add_threads_argument,
    declare_files,
    finite_float,
    instances_from_set,
    int_at_least,
    pin_threads,
    positive_float,
    print_json,
    wrap_parameter_errors,
    write_table,
)



def _plain(value):
    """A JSON-safe number: NaN (= absent, e.g. no BBP outlier) becomes null."""
    value = float(value)
    return None if math.isnan(value) else value


def _report(payload: dict, as_json: bool) -> None:
    payload = {key: _plain(value) for key, value in payload.items()}
    if as_json:
        print_json(payload)
    else:
        for key, value in payload.items():
            print(f"{key} = {'none' if value is None else f'{value:.10g}'}")


def _positive_list(parser, name: str, help_text: str, required: bool = True) -> None:
    parser.add_argument(name, type=positive_float, nargs="+", required=required, help=help_text)


def _threads(parser) -> None:
    add_threads_argument(parser)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "thresholds", help="ML-AMP, gradient-flow and trivialisation thresholds on 1/Δ2",
        description="The three thresholds on 1/Δ2 (theory.md §E.2, §D.6, §D.7): ML-AMP stability of m = 0, "
        "the BBP instability of the threshold states (gradient flow), and the disappearance of the last "
        "spurious minima at m >= 0 (Kac-Rice).",
    )
    add_model_arguments(parser, inv_delta2=False)
    parser.add_argument("--json", action="store_true", help='print {"ml_amp", "gf", "triv"} as JSON')
    parser.set_defaults(func=cmd_thresholds)

    parser = subparsers.add_parser(
        "minimum", help="the good minimum (m*, μ*, ε*) = ML-AMP fixed point",
        description="Overlap, Lagrange multiplier and energy per site of the minimum correlated with the "
        "signal (theory.md §D.5): where the Kac-Rice complexity touches zero.",
    )
    add_model_arguments(parser)
    parser.add_argument("--json", action="store_true", help='print {"overlap", "multiplier", "energy"} as JSON')
    parser.set_defaults(func=cmd_minimum)

    parser = subparsers.add_parser(
        "threshold-states", help="the marginal states at m = 0: μ, energy, complexity, BBP outlier",
        description="Threshold states (theory.md §D.4): μ_th = 2σ, energy ε_A of the most numerous marginal "
        "states, their complexity Σ_th, and the isolated Hessian eigenvalue (null when 1/Δ2 <= σ: no outlier).",
    )
    add_model_arguments(parser)
    parser.add_argument("--json", action="store_true", help='print {"multiplier", "energy", "complexity", "outlier"}')
    parser.set_defaults(func=cmd_threshold_states)

    parser = subparsers.add_parser(
        "phase-diagram-tables", help="thresholds on a Δp grid and the Bayes-optimal boundaries (tables)",
        description="Write the phase-diagram data: the three thresholds on a log grid of Δp (long table: p, "
        "delta_p, threshold, inv_delta2) and, on the same Δp grid, every 1/Δ2 in (0, --inv-delta2-max) where "
        "the Bayes-optimal region (impossible/hard/easy, theory.md §E.3) changes (long table: p, delta_p, "
        "boundary = 'below|above', inv_delta2; located to 1e-10, amp.bayes_boundaries).",
    )
    parser.add_argument("--p", type=int_at_least(3), nargs="+", required=True, help="tensor orders")
    parser.add_argument("--delta-p-min", type=positive_float, required=True, help="smallest Δp")
    parser.add_argument("--delta-p-max", type=positive_float, required=True, help="largest Δp (<= 5e3)")
    parser.add_argument("--delta-p-points", type=int_at_least(2), default=60, help="log-spaced Δp values")
    parser.add_argument("--inv-delta2-max", type=positive_float, required=True,
                        help="top of the 1/Δ2 range searched for Bayes boundaries")
    parser.add_argument("--scan-points", type=int_at_least(2), default=64,
                        help="coarse 1/Δ2 scan that brackets the boundaries before bisection (default 64)")
    parser.add_argument("--thresholds-out", required=True, help="threshold table (.csv)")
    parser.add_argument("--boundaries-out", required=True, help="Bayes-optimal boundary table (.csv)")
    _threads(parser)
    declare_files(parser, outputs=["thresholds_out", "boundaries_out"])
    parser.set_defaults(func=cmd_phase_diagram_tables)

    parser = subparsers.add_parser(
        "zero-overlap-table", help="stationary points at m = 0 by μ: minima and saddles between 1/Δ2^GF and triv",
        description="Kac-Rice complexity Σ(0, μ) of the stationary points at m = 0 with μ ≥ 2σ (no negative bulk "
        "direction), against μ and their energy, for --values values of 1/Δ2 evenly spaced from 1/Δ2^GF to "
        "1/Δ2^triv (theory.md §D.2, §D.6, §D.7): index-one saddles (isolated eigenvalue towards x* negative) "
        "below μ_c(0), minima above it.",
    )
    add_model_arguments(parser, inv_delta2=False)
    parser.add_argument("--values", type=int_at_least(2), default=5, help="values of 1/Δ2 from GF to triv")
    parser.add_argument("--points", type=int_at_least(2), default=200, help="μ grid points per 1/Δ2")
    parser.add_argument("--out", required=True, help="table (.csv)")
    _threads(parser)
    declare_files(parser, outputs=["out"])
    parser.set_defaults(func=cmd_zero_overlap_table)

    parser = subparsers.add_parser(
        "complexity-table", help="Σ_min(m) and Σ of all stationary points vs m (table)",
        description="Kac-Rice complexity vs overlap m (theory.md §D.3) for several 1/Δ2: of minima (with "
        "the isolated-eigenvalue condition) and of all stationary points.",
    )
    add_model_arguments(parser, inv_delta2=False)
    add_inv_delta2_list_argument(parser, "values of 1/Δ2 (distinct)")
    parser.add_argument("--add-triv", action="store_true", help="also tabulate 1/Δ2 = 1/Δ2^triv itself")
    parser.add_argument("--overlap-points", type=int_at_least(3), default=401, help="m grid on (-1, 1)")
    parser.add_argument("--out", required=True, help="table (.csv)")
    _threads(parser)
    declare_files(parser, outputs=["out"])
    parser.set_defaults(func=cmd_complexity_table)

    parser = subparsers.add_parser(
        "landscape-map-table", help="Σ(m, ε) of minima and of all stationary points (table)",
        description="Energy-resolved Kac-Rice complexity on an (m, ε) grid (theory.md §D.2), and the reference "
        "states (threshold states ε_A, ε_B at m = 0; the good minimum) in a second table.",
    )
    add_model_arguments(parser, inv_delta2=False)
    add_inv_delta2_list_argument(parser, "values of 1/Δ2 (one map each) (distinct)")
    parser.add_argument("--overlap-points", type=int_at_least(3), default=201, help="m grid on (-1, 1)")
    parser.add_argument("--energy-min", type=finite_float, required=True, help="lowest energy per site")
    parser.add_argument("--energy-max", type=finite_float, required=True, help="highest energy per site")
    parser.add_argument("--energy-points", type=int_at_least(3), default=201, help="energy grid points")
    parser.add_argument("--zoom-points", type=int_at_least(3), default=201, help="points per axis of the zoom")
    parser.add_argument("--out", required=True, help="map table (.csv)")
    parser.add_argument("--zoom-out", required=True,
                        help="the same on a fine grid around the threshold energy ε_A, where the minima are (.csv)")
    parser.add_argument("--points-out", required=True, help="reference-state table (.csv)")
    _threads(parser)
    declare_files(parser, outputs=["out", "zoom_out", "points_out"])
    parser.set_defaults(func=cmd_landscape_map_table)

    parser = subparsers.add_parser(
        "threshold-spectrum-table", help="threshold-state Hessian: bulk edges and outlier vs 1/Δ2 (table)",
        description="Hessian of the threshold states (m = 0, μ = 2σ; theory.md §D.1, §D.4, §D.6) on a grid "
        "of 1/Δ2: bulk edges μ ± 2σ and the BBP outlier (empty below 1/Δ2 = σ).",
    )
    add_model_arguments(parser, inv_delta2=False)
    parser.add_argument("--inv-delta2-min", type=positive_float, required=True, help="smallest 1/Δ2")
    parser.add_argument("--inv-delta2-max", type=positive_float, required=True, help="largest 1/Δ2")
    parser.add_argument("--points", type=int_at_least(2), default=200, help="grid points")
    parser.add_argument("--out", required=True, help="table (.csv)")
    _threads(parser)
    declare_files(parser, outputs=["out"])
    parser.set_defaults(func=cmd_threshold_spectrum_table)

    parser = subparsers.add_parser(
        "hessian-spectra", help="finite-N Hessian spectra along gradient flow vs Kac-Rice (tables)",
        description="Run gradient flow on finite-N instances and, at the given times, diagonalise the "
        "Riemannian Hessian on the tangent space. --flow held: from x(0) ⊥ x* with the gradient's component "
        "on x* removed, so m = 0 exactly: the large-N plateau made exact, whose states approach the threshold "
        "states (landscape.OverlapHeldAtZero); --flow free: plain gradient flow from a random start with "
        "m(0) > 0. Writes every eigenvalue (with the semicircle density at the state's μ) and one row per "
        "state with the theory's bulk edges and BBP outlier at the state's measured (m, μ) (theory.md §D.1).",
    )
    add_model_arguments(parser, inv_delta2=False)
    parser.add_argument("--n", type=int_at_least(3), required=True, help="dimension N")
    add_inv_delta2_list_argument(parser, "values of 1/Δ2 (distinct)")
    add_seeds_argument(parser)
    add_instance_set_argument(parser)
    _positive_list(parser, "--times", "times at which the spectrum is measured")
    parser.add_argument("--flow", choices=("held", "free"), default="held",
                        help="held: m kept at 0 (plateau states, default); free: plain gradient flow")
    parser.add_argument("--dt", type=positive_float, default=0.1, help="RK4 step (default 0.1)")
    add_tensor_layout_argument(parser)
    parser.add_argument("--spectra-out", required=True, help="eigenvalue table (.csv)")
    parser.add_argument("--states-out", required=True, help="per-state table (.csv)")
    _threads(parser)
    declare_files(parser, inputs=["instances"], outputs=["spectra_out", "states_out"])
    parser.set_defaults(func=cmd_hessian_spectra)

    parser = subparsers.add_parser(
        "amp-runs", help="finite-N ML-AMP vs its state evolution (tables)",
        description="ML-AMP (theory.md §E.1) on finite-N instances from x(0) with overlap m0, with the state "
        "evolution from the same m0 (§E.2); a second table gives, on a fine 1/Δ2 grid, the state-evolution "
        "fixed point from m0, the good minimum m* and the thresholds.",
    )
    add_model_arguments(parser, inv_delta2=False)
    parser.add_argument("--n", type=int_at_least(3), required=True, help="dimension N")
    add_inv_delta2_list_argument(parser, "values of 1/Δ2 for the finite-N runs (distinct)")
    add_seeds_argument(parser)
    add_instance_set_argument(parser)
    parser.add_argument("--iterations", type=int_at_least(1), default=50, help="ML-AMP iterations")
    parser.add_argument("--m0", type=positive_float, default=0.1, help="initial overlap (0 < m0 < 1)")
    parser.add_argument("--inv-delta2-max", type=positive_float, required=True, help="top of the theory grid")
    parser.add_argument("--theory-points", type=int_at_least(2), default=300, help="theory grid points")
    add_tensor_layout_argument(parser)
    parser.add_argument("--out", required=True, help="iterate table (.csv)")
    parser.add_argument("--theory-out", required=True, help="fixed-point table (.csv)")
    _threads(parser)
    declare_files(parser, inputs=["instances"], outputs=["out", "theory_out"])
    parser.set_defaults(func=cmd_amp_runs)


# --- questions ----------------------------------------------------------------------------------
@wrap_parameter_errors
def cmd_thresholds(args) -> int:
    _report(L.thresholds(args.p, args.delta_p), args.json)
    return 0


@wrap_parameter_errors
def cmd_minimum(args) -> int:
    minimum = L.good_minimum(ModelParams.from_inv_delta2(args.p, args.inv_delta2, args.delta_p))
    _report({"overlap": minimum.m, "multiplier": minimum.mu, "energy": minimum.energy}, args.json)
    return 0


@wrap_parameter_errors
def cmd_threshold_states(args) -> int:
    states = L.threshold_states(ModelParams.from_inv_delta2(args.p, args.inv_delta2, args.delta_p))
    payload = {"multiplier": states.mu, "energy": states.energy, "complexity": states.complexity, "outlier": states.outlier}
    _report(payload, args.json)
    return 0


# --- theory tables ------------------------------------------------------------------------------
def _check_range(low: float, high: float, name: str) -> None:
    if not low < high:
        raise CliError(f"{name}: the minimum ({low:g}) must be below the maximum ({high:g})")


def _overlap_grid(points: int) -> np.ndarray:
    """Points strictly inside (-1, 1), symmetric, including m = 0 when ``points`` is odd."""
    return np.linspace(-1.0, 1.0, points + 2)[1:-1]


#: Columns of the Bayes-optimal boundary table of ``phase-diagram-tables``.
BOUNDARY_COLUMNS = ["p", "delta_p", "boundary", "inv_delta2"]


@wrap_parameter_errors
def cmd_phase_diagram_tables(args) -> int:
    import pandas as pd

    from ..amp import bayes_boundaries

    pin_threads(args.threads)
    _check_range(args.delta_p_min, args.delta_p_max, "--delta-p-min/--delta-p-max")
    delta_p = np.logspace(math.log10(args.delta_p_min), math.log10(args.delta_p_max), args.delta_p_points)
    rows, boundaries = [], []
    for p in args.p:
        for name, values in L.thresholds(p, delta_p).items():
            rows.append(pd.DataFrame({"p": p, "delta_p": delta_p, "threshold": name, "inv_delta2": values}))
        found = bayes_boundaries(p, delta_p, args.inv_delta2_max, scan_points=args.scan_points)
        boundaries.append(pd.DataFrame({"p": p, "delta_p": found.delta_p, "boundary": found.boundary,
                                        "inv_delta2": found.inv_delta2}, columns=BOUNDARY_COLUMNS))
    write_table(pd.concat(rows, ignore_index=True), args.thresholds_out)
    write_table(pd.concat(boundaries, ignore_index=True), args.boundaries_out)
    return 0


#: Columns of ``zero-overlap-table``; the last five are constant per 1/Δ2 (the switch μ_c(0) from saddles to
#: minima, the energy and complexity of the most numerous minima there, and the two thresholds).
ZERO_OVERLAP_COLUMNS = ["p", "delta_p", "inv_delta2", "multiplier", "energy", "complexity", "outlier", "kind",
                        "switch_multiplier", "switch_energy", "switch_complexity", "gf_threshold", "triv_threshold"]


def zero_overlap_table(p: int, delta_p: float, values: int, points: int):
    """The table of ``zero-overlap-table``: L.zero_overlap_states at ``values`` values of 1/Δ2 evenly spaced
    from 1/Δ2^GF to 1/Δ2^triv, with each point's kind and the per-1/Δ2 switch μ_c(0) (ZERO_OVERLAP_COLUMNS)."""
    import pandas as pd

    gf, triv = float(L.gf_threshold(p, delta_p)), float(L.triv_threshold(p, delta_p))
    frames = []
    for inv_delta2 in np.linspace(gf, triv, values):
        params = ModelParams.from_inv_delta2(p, inv_delta2, delta_p)
        states = L.zero_overlap_states(params, points)
        is_minimum = ~(states.outlier < 0)  # no outlier (NaN) or a non-negative one
        frames.append(pd.DataFrame({
            "p": p, "delta_p": delta_p, "inv_delta2": inv_delta2, "multiplier": states.multiplier,
            "energy": states.energy, "complexity": states.complexity, "outlier": states.outlier,
            "kind": np.where(is_minimum, "minimum", "saddle"),
            "switch_multiplier": states.switch_multiplier,
            "switch_energy": float(L.typical_energy(params, 0.0, states.switch_multiplier)),
            "switch_complexity": float(L.complexity(params, 0.0, states.switch_multiplier)),
            "gf_threshold": gf, "triv_threshold": triv,
        }, columns=ZERO_OVERLAP_COLUMNS))
    return pd.concat(frames, ignore_index=True)


@wrap_parameter_errors
def cmd_zero_overlap_table(args) -> int:
    pin_threads(args.threads)
    if math.isinf(args.delta_p):
        raise CliError("--delta-p must be finite (the threshold states have Σ_th = 0 at Δp = inf)")
    write_table(zero_overlap_table(args.p, args.delta_p, args.values, args.points), args.out)
    return 0


@wrap_parameter_errors
def cmd_complexity_table(args) -> int:
    import pandas as pd

    pin_threads(args.threads)
    overlaps = _overlap_grid(args.overlap_points)
    triv = L.triv_threshold(args.p, args.delta_p)
    values = sorted(set(args.inv_delta2) | ({triv} if args.add_triv else set()))
    frames = []
    for inv_delta2 in values:
        params = ModelParams.from_inv_delta2(args.p, inv_delta2, args.delta_p)
        for kind, minima in (("minima", True), ("stationary", False)):
            complexity, mu = L.complexity_max_over_multiplier(params, overlaps, minima=minima)
            frames.append(pd.DataFrame({
                "p": args.p, "delta_p": args.delta_p, "inv_delta2": inv_delta2, "kind": kind,
                "overlap": overlaps, "complexity": complexity, "multiplier": mu,
                "is_triv": inv_delta2 == triv, "triv": triv,
            }))
    write_table(pd.concat(frames, ignore_index=True), args.out)
    return 0


#: Window of the zoomed map: m in ZOOM_OVERLAPS, ε in ε_A + ZOOM_ENERGIES. The minima of the mixed
#: model live there (Σ_min ~ 1e-3, a band of width ~0.03 in ε around ε_A for p=3, Δp=1, and the m < 0
#: spurious minima of odd p, e.g. m ≈ -0.43, ε ≈ -1.89 at 1/Δ2 = 2.5), invisible on the full map's grid.
ZOOM_OVERLAPS = (-0.6, 0.4)
ZOOM_ENERGIES = (-0.06, 0.04)


def _map_frame(args, inv_delta2: float, overlaps: np.ndarray, energies: np.ndarray):
    """Σ(m, ε) of all stationary points and of minima on the grid overlaps x energies (tidy)."""
    params = ModelParams.from_inv_delta2(args.p, inv_delta2, args.delta_p)
    import pandas as pd

    m_grid, energy_grid = np.meshgrid(overlaps, energies, indexing="ij")
    stationary, mu = L.complexity_energy_resolved(params, m_grid, energy_grid)
    minima, _ = L.complexity_energy_resolved(params, m_grid, energy_grid, minima=True)
    return pd.DataFrame({
        "p": args.p, "delta_p": args.delta_p, "inv_delta2": inv_delta2,  # the value asked for, exactly
        "overlap": m_grid.ravel(), "energy": energy_grid.ravel(),
        "complexity_stationary": stationary.ravel(), "complexity_minima": minima.ravel(), "multiplier": mu.ravel(),
    })


@wrap_parameter_errors
def cmd_landscape_map_table(args) -> int:
    import pandas as pd

    pin_threads(args.threads)
    _check_range(args.energy_min, args.energy_max, "--energy-min/--energy-max")
    overlaps = _overlap_grid(args.overlap_points)
    energies = np.linspace(args.energy_min, args.energy_max, args.energy_points)
    maps, zooms, points = [], [], []
    for inv_delta2 in args.inv_delta2:
        params = ModelParams.from_inv_delta2(args.p, inv_delta2, args.delta_p)
        states = L.threshold_states(params)
        maps.append(_map_frame(args, inv_delta2, overlaps, energies))
        zooms.append(_map_frame(
            args, inv_delta2, np.linspace(*ZOOM_OVERLAPS, args.zoom_points),
            states.energy + np.linspace(*ZOOM_ENERGIES, args.zoom_points),
        ))
        reference = [("threshold states (most numerous, ε_A)", 0.0, states.energy),
                     ("threshold states (typical become marginal, ε_B)", 0.0, states.energy_marginal_typical)]
        try:
            minimum = L.good_minimum(params)
            reference.append(("good minimum", minimum.m, minimum.energy))
        except ParameterError:  # no correlated minimum at this 1/Δ2: nothing to mark
            pass
        points += [(args.p, args.delta_p, inv_delta2, name, m, energy) for name, m, energy in reference]
    write_table(pd.concat(maps, ignore_index=True), args.out)
    write_table(pd.concat(zooms, ignore_index=True), args.zoom_out)
    write_table(pd.DataFrame(points, columns=["p", "delta_p", "inv_delta2", "state", "overlap", "energy"]),
                args.points_out)
    return 0


@wrap_parameter_errors
def cmd_threshold_spectrum_table(args) -> int:
    import pandas as pd

    pin_threads(args.threads)
    _check_range(args.inv_delta2_min, args.inv_delta2_max, "--inv-delta2-min/--inv-delta2-max")
    rows = []
    for inv_delta2 in np.linspace(args.inv_delta2_min, args.inv_delta2_max, args.points):
        states = L.threshold_states(ModelParams.from_inv_delta2(args.p, inv_delta2, args.delta_p))
        rows.append((args.p, args.delta_p, inv_delta2, states.mu, states.lower_edge, states.upper_edge,
                     states.outlier, states.complexity))
    table = pd.DataFrame(rows, columns=["p", "delta_p", "inv_delta2", "multiplier", "lower_edge", "upper_edge",
                                        "outlier", "complexity"])
    table["gf_threshold"] = L.gf_threshold(args.p, args.delta_p)
    write_table(table, args.out)
    return 0


# --- finite-N measurements ----------------------------------------------------------------------
def _instances(args, desc: str):
    """Yield (inv_delta2, seed, instance) of every requested pair from --instances, with a progress bar."""
    from tqdm import tqdm

    pairs = instances_from_set(args, args.inv_delta2)
    yield from tqdm(pairs, total=len(args.inv_delta2) * len(args.seeds), desc=desc, disable=None, mininterval=5)


@wrap_parameter_errors
def cmd_hessian_spectra(args) -> int:
    import pandas as pd

    from ..gradient_flow import initial_conditions, run_gradient_flow

    pin_threads(args.threads)
    times = sorted(set(args.times))
    spectra, states = [], []
    for inv_delta2, seed, instance in _instances(args, "Hessian spectra"):
        params = instance.params
        if args.flow == "held":
            flow, x = L.OverlapHeldAtZero(instance), initial_conditions(instance, 1, m0=0.0)
        else:
            flow, x = instance, initial_conditions(instance, 1)
        elapsed = 0.0
        for time in times:
            if time > elapsed:
                x = run_gradient_flow(flow, x, time - elapsed, args.dt).final_state
                elapsed = time
            state = x[0]
            m = float(instance.overlap(state))
            mu = float(instance.multiplier(state))
            eigenvalues = L.measured_tangent_spectrum(instance, state)
            lower, upper = L.bulk_edges(params, mu)
            key = {"p": args.p, "delta_p": args.delta_p, "n": args.n, "inv_delta2": inv_delta2, "seed": seed,
                   "flow": args.flow, "time": time}
            states.append({
                **key, "overlap": m, "energy": float(instance.loss(state)) / args.n, "multiplier": mu,
                "sigma": params.sigma, "threshold_multiplier": 2 * params.sigma,
                "theory_lower_edge": float(lower), "theory_upper_edge": float(upper),
                "theory_outlier": float(L.isolated_eigenvalue(params, m, mu)),
                "lowest": eigenvalues[0], "second_lowest": eigenvalues[1], "highest": eigenvalues[-1],
            })
            spectra.append(pd.DataFrame({
                **key, "index": np.arange(eigenvalues.size), "eigenvalue": eigenvalues,
                "semicircle_density": L.semicircle_density(params, mu, eigenvalues),
            }))
        del instance, flow
    write_table(pd.concat(spectra, ignore_index=True), args.spectra_out)
    write_table(pd.DataFrame(states), args.states_out)
    return 0


def _good_overlap(args, inv_delta2: float) -> float:
    """m* of the good minimum, NaN (empty cell) where there is none."""
    try:
        return L.good_minimum(ModelParams.from_inv_delta2(args.p, inv_delta2, args.delta_p)).m
    except ParameterError:
        return math.nan


@wrap_parameter_errors
def cmd_amp_runs(args) -> int:
    import pandas as pd

    from ..amp import ml_amp_state_evolution, ml_amp_state_evolution_limit, run_ml_amp
    from ..gradient_flow import initial_conditions

    pin_threads(args.threads)
    if not args.m0 < 1:
        raise CliError(f"--m0 must lie in (0, 1), got {args.m0:g}")
    frames = []
    iterations = np.arange(args.iterations + 1)
    for inv_delta2 in args.inv_delta2:
        params = ModelParams.from_inv_delta2(args.p, inv_delta2, args.delta_p)
        frames.append(pd.DataFrame({
            "method": "state_evolution", "inv_delta2": inv_delta2, "seed": -1, "iteration": iterations,
            "overlap": ml_amp_state_evolution(params, args.m0, args.iterations),
        }))
    for inv_delta2, seed, instance in _instances(args, "ML-AMP"):
        run = run_ml_amp(instance, initial_conditions(instance, 1, m0=args.m0), args.iterations)
        frames.append(pd.DataFrame({
            "method": "ml_amp", "inv_delta2": inv_delta2, "seed": seed, "iteration": iterations,
            "overlap": run.overlap[:, 0], "step": run.step[:, 0],
        }))
        del instance
    runs = pd.concat(frames, ignore_index=True)
    runs["good_minimum"] = runs["inv_delta2"].map({value: _good_overlap(args, value) for value in args.inv_delta2})
    runs.insert(0, "n", args.n)
    runs.insert(0, "delta_p", args.delta_p)
    runs.insert(0, "p", args.p)

    theory = []
    ml_amp, gf = L.ml_amp_threshold(args.p, args.delta_p), L.gf_threshold(args.p, args.delta_p)
    for inv_delta2 in np.linspace(0.0, args.inv_delta2_max, args.theory_points + 1)[1:]:
        params = ModelParams.from_inv_delta2(args.p, inv_delta2, args.delta_p)
        fixed_point = ml_amp_state_evolution_limit(params, args.m0)
        theory.append((args.p, args.delta_p, inv_delta2, args.m0, fixed_point, _good_overlap(args, inv_delta2),
                       ml_amp, gf))
    theory = pd.DataFrame(theory, columns=["p", "delta_p", "inv_delta2", "m0", "state_evolution_fixed_point",
                                           "good_minimum", "ml_amp_threshold", "gf_threshold"])
    write_table(runs, args.out)
    write_table(theory, args.theory_out)
    print(f"ML-AMP: {len(args.inv_delta2) * len(args.seeds)} runs at N = {args.n}", file=sys.stderr)
    return 0
