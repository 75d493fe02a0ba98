"""cProfile hook for bench/rooms.py --profile: on PYTHONPATH, active only in a `wsgi.py` worker with
BENCH_PROFILE_OUT set. SIGUSR1 starts profiling; SIGUSR2 stops and writes
$BENCH_PROFILE_OUT-<pid>.<n>.prof (n = 0, 1, ... one file per window). No app code changes.

Read with: python -c "import pstats,sys; pstats.Stats(sys.argv[1]).sort_stats('tottime').print_stats(30)" FILE
Under eventlet, `tottime` is right; `cumtime` of anything that switches greenlets is not.
"""
import os
import sys

if os.environ.get("BENCH_PROFILE_OUT") and sys.argv and sys.argv[0].endswith("wsgi.py"):
    import cProfile
    import signal

    import time

    # CPU time, not wall time: on a shared machine a preempted worker would otherwise charge the wait to
    # whatever function it was in; and under eventlet wall time also counts other green threads' turns.
    _profile = cProfile.Profile(time.process_time)
    _state = {"n": 0, "on": False}

    def _start(*_args):
        if not _state["on"]:
            _state["on"] = True
            _profile.enable()

    def _stop(*_args):
        if _state["on"]:
            _profile.disable()
            _state["on"] = False
            _profile.dump_stats(f"{os.environ['BENCH_PROFILE_OUT']}-{os.getpid()}.{_state['n']}.prof")
            _state["n"] += 1
            _profile.clear()

    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
