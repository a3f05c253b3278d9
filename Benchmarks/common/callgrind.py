"""Counting a server's user-space instructions per request under valgrind's callgrind, for the
benchmarks' `instructions.py` scripts: the count does not depend on the machine's load, unlike a
rate, so it can compare request paths on a shared, noisy machine (DESIGN.md, "Benchmarks")."""
import collections
import os
import re
import shutil
import subprocess

from harness import sh, stop


def self_costs(path):
    """Instructions per function (self cost) of a callgrind output file, and the total."""
    names, costs = {}, collections.Counter()
    function, in_call = None, False
    with open(path, errors="replace") as file:
        for line in file:
            if line.startswith(("fn=", "cfn=")):
                # A compressed name is spelled out where it first occurs, called or calling.
                match = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.strip())
                if match.group(2):
                    names[match.group(1)] = match.group(2)
                if line.startswith("fn="):
                    function = names.get(match.group(1), match.group(1))
            elif line.startswith("calls="):
                in_call = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                parts = line.split()
                if len(parts) >= 2:
                    if in_call:
                        in_call = False  # the call's inclusive cost: the callee's, not this function's
                    else:
                        costs[function] += int(parts[1])
    return costs, sum(costs.values())


def demangled(names):
    """Swift's mangled names made readable when the toolchain's swift-demangle is there."""
    tool = shutil.which("swift-demangle")
    if tool is None:
        return names
    lines = subprocess.run([tool, "--simplified"], input="\n".join(names), capture_output=True, text=True).stdout.splitlines()
    return lines if len(lines) == len(names) else names


def count(ns, command, scratch, tag, ready, load, warm_up):
    """Runs `command` in namespace `ns` under callgrind, following its forks (NSD serves from a
    child): waits for `ready(process)`, runs `load(warm_up)` (caches filled, first requests done),
    zeroes the counters, runs `load(None)`, which returns how many requests it completed, and
    dumps them. Returns the instructions per request of every process of the server together,
    and its functions' self costs per request."""
    prefix = f"callgrind-{tag}."
    for stale in [f for f in os.listdir(scratch) if f.startswith(prefix)]:
        os.remove(os.path.join(scratch, stale))
    output = os.path.join(scratch, prefix + "%p.out")
    server = subprocess.Popen(["ip", "netns", "exec", ns, "valgrind", "--tool=callgrind", "--trace-children=yes",
                               f"--callgrind-out-file={output}", *command],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready(server)
        load(warm_up)
        # Without a process id callgrind_control acts on every process under callgrind: the
        # server's, as nothing else runs under it.
        sh("callgrind_control", "-z")
        requests = max(load(None), 1)
        sh("callgrind_control", "-d")
    finally:
        stop(server)
    costs, total = collections.Counter(), 0
    for dump in sorted(f for f in os.listdir(scratch) if f.startswith(prefix) and re.search(r"\.out\.\d+$", f)):
        functions, instructions = self_costs(os.path.join(scratch, dump))
        costs.update(functions)
        total += instructions
    return total / requests, {name: cost / requests for name, cost in costs.items()}
