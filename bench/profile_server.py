#!/usr/bin/env python3
"""Run a tree's `wsgi.py` (the current directory's) under a sampling profiler, switched by a file.

    PROFILE_OUT=/tmp/ours python /path/to/bench/profile_server.py     # cwd = the tree under test
    touch /tmp/ours.on   # start a window ...
    rm /tmp/ours.on      # ... stop it: writes /tmp/ours.<n>.txt and /tmp/ours.<n>.folded (n = 0, 1, ...)

`bench/run.py --profile DIR` does this around each phase and names the files after the phases.

A real OS thread samples the main thread's Python stack every `PROFILE_INTERVAL` seconds (1 ms):
py-spy in miniature, and right under eventlet, where whatever greenlet runs is what the main
thread's frame shows (cProfile is not: greenlets carry their own tracing flag, and its timings
mix in whatever ran while a call was switched out). Samples where the hub waits in `poll` are idle
and counted apart; time inside C calls (SQLite, nh3, socket sends) counts for the Python frame that
called them, which is right for "where does the server's CPU go".

The sampler can look only while it holds the GIL. The main thread's switch interval is set to 10 us
(`PROFILE_SWITCH`) so it hands the GIL over within ~10 us wherever it is; with Python's default
5 ms, it would hand it over mostly at its next blocking C call and over-count those calls. The
switch file, not a signal: a signal can land on a helper thread and wait for the hub's next wake-up.

`.txt`: busy samples per function, own (top of the stack) and inclusive, as % of busy samples.
`.folded`: collapsed stacks (`a;b;c count`) for a flame graph.
"""
from __future__ import annotations

import collections
import os
import runpy
import sys
import threading
from time import perf_counter
from time import sleep as real_sleep  # bound before eventlet patches time.sleep
from typing import Any

IDLE_FRAMES = (("hubs/poll.py", "wait"), ("hubs/epolls.py", "do_poll"), ("hubs/poll.py", "do_poll"),
               ("hubs/selects.py", "wait"))


def _where(code: Any) -> str:
    name = code.co_filename
    for marker in ("/site-packages/", "/lib/python3"):
        if marker in name:
            name = name.split(marker, 1)[1]
            break
    else:
        name = os.path.relpath(name)
    return f"{name}:{code.co_firstlineno}:{code.co_name}"


class Sampler:
    def __init__(self, out: str, interval: float) -> None:
        self.out, self.interval = out, interval
        self.switch = out + ".on"
        self.main = threading.main_thread().ident
        self.window = 0
        self.stacks: collections.Counter[tuple[Any, ...]] = collections.Counter()
        self.idle = 0
        self.started = 0.0

    def run(self) -> None:
        on = False
        while True:
            real_sleep(self.interval)
            wanted = os.path.exists(self.switch)
            if wanted and not on:
                self.stacks.clear()
                self.idle, self.started, on = 0, perf_counter(), True
            elif on and not wanted:
                on = False
                self.dump()
            if not on:
                continue
            frame = sys._current_frames().get(self.main)
            codes = []
            while frame is not None:
                codes.append(frame.f_code)
                frame = frame.f_back
            if not codes:
                continue
            top = codes[0]
            if any(top.co_filename.endswith(f) and top.co_name == n for f, n in IDLE_FRAMES):
                self.idle += 1
                continue
            self.stacks[tuple(codes)] += 1

    def dump(self) -> None:
        stacks, idle = dict(self.stacks), self.idle
        busy = sum(stacks.values())
        own: collections.Counter[str] = collections.Counter()
        inclusive: collections.Counter[str] = collections.Counter()
        for codes, n in stacks.items():
            names = [_where(c) for c in codes]
            own[names[0]] += n
            for name in set(names):
                inclusive[name] += n
        pct = (lambda n: 100.0 * n / busy) if busy else (lambda n: 0.0)
        lines = [f"window {self.window}: {busy} busy samples, {idle} idle (hub waiting), "
                 f"{perf_counter() - self.started:.1f} s, every {self.interval * 1000:g} ms", "",
                 "self %   function (own code at the top of the stack)"]
        lines += [f"{pct(n):6.1f}   {name}" for name, n in own.most_common(60)]
        lines += ["", "incl %   function (anywhere on the stack)"]
        lines += [f"{pct(n):6.1f}   {name}" for name, n in inclusive.most_common(150)]
        base = f"{self.out}.{self.window}"
        with open(base + ".folded", "w") as fh:
            for codes, n in stacks.items():
                fh.write(";".join(_where(c) for c in reversed(codes)) + f" {n}\n")
        with open(base + ".txt.part", "w") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(base + ".txt.part", base + ".txt")  # the .txt appearing says the window is written
        self.window += 1


def main() -> None:
    out = os.environ["PROFILE_OUT"]
    sampler = Sampler(out, float(os.environ.get("PROFILE_INTERVAL", "0.001")))
    threading.Thread(target=sampler.run, daemon=True, name="sampler").start()
    sys.setswitchinterval(float(os.environ.get("PROFILE_SWITCH", "0.00001")))
    sys.path.insert(0, os.getcwd())
    sys.argv = ["wsgi.py"]
    runpy.run_path("wsgi.py", run_name="__main__")


if __name__ == "__main__":
    main()
