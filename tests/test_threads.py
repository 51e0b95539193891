"""Thread pinning (``pin_threads``) works whatever numba's pool was launched with.

numba re-reads the NUMBA_* environment at every compilation and raises RuntimeError when
NUMBA_NUM_THREADS changed after its thread pool was launched. A SLURM job (no NUMBA_NUM_THREADS
exported, pool sized by the job's CPUs) hit exactly that in ``hessian_spectra`` on a cold numba
cache. Each case runs in a fresh interpreter: the pool can be launched only once per process.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

# A parallel function defined in the child, so it is always compiled (no cache) after pinning.
PARALLEL_SUM = textwrap.dedent("""
    import numba
    import numpy as np

    @numba.njit(parallel=True)
    def total(x):
        s = 0.0
        for i in numba.prange(x.size):
            s += x[i]
        return s
""")


def run_child(code: str, environment: dict) -> dict:
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                               env=environment)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def base_environment() -> dict:
    return {name: value for name, value in os.environ.items() if not name.startswith("NUMBA_")}


@pytest.mark.parametrize(("pool", "threads"), [(1, 2), (2, 1), (2, 2)])
def test_pinning_after_numba_launched_its_pool_still_compiles_parallel_code(pool, threads):
    code = textwrap.dedent(f"""
        import json
        import numba
        numba.get_num_threads()  # launches the pool with NUMBA_NUM_THREADS={pool}
        from bigbadminima.cli._common import pin_threads
        pin_threads({threads})
    """) + PARALLEL_SUM + textwrap.dedent("""
        print(json.dumps({"sum": total(np.arange(1000.0)), "threads": numba.get_num_threads(),
                          "pool": numba.config.NUMBA_NUM_THREADS}))
    """)
    found = run_child(code, {**base_environment(), "NUMBA_NUM_THREADS": str(pool)})
    assert found == {"sum": 499500.0, "threads": min(pool, threads), "pool": pool}


def test_pinning_before_numba_is_imported_sizes_the_pool_for_the_process_and_its_children():
    code = textwrap.dedent("""
        import json
        import subprocess
        import sys
        from bigbadminima.cli._common import pin_threads
        assert "numba" not in sys.modules
        pin_threads(2)
    """) + PARALLEL_SUM + textwrap.dedent("""
        child = subprocess.run([sys.executable, "-c", "import numba; print(numba.config.NUMBA_NUM_THREADS)"],
                               capture_output=True, text=True, check=True).stdout.strip()
        print(json.dumps({"sum": total(np.arange(1000.0)), "threads": numba.get_num_threads(),
                          "pool": numba.config.NUMBA_NUM_THREADS, "child_pool": int(child)}))
    """)
    found = run_child(code, base_environment())
    assert found == {"sum": 499500.0, "threads": 2, "pool": 2, "child_pool": 2}
