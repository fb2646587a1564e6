#!/usr/bin/env python3
"""Builds the bundle that scripts/gpu-check.sh runs on a GPU machine.

usage: scripts/gpu-bundle.py [--build build] [--sm sm_90] [--jobs N] BUNDLE.tar.gz
       scripts/gpu-bundle.py --list

A GPU machine lent for a few minutes has the CUDA driver but not Kiln's
compiler (LLVM and MLIR), so everything is compiled here, on the CPU:

* the numerics suite: every run-model.sh invocation of test/e2e/ops,
  test/e2e/examples and test/e2e/gpu/emulation, compiled with
  --target=cuda --sm=SM, once with fusion and once without, minus the
  flags that only mean something on the CPU (--gpu-emulation, --cpu=...).
  suite.txt holds one line per invocation: a name, a tab, and the
  run-model.sh arguments that run the prebuilt libraries with
  --device cuda at the test's own cases, tolerances and data options;
* generation: every example compiled for the CPU (--cpu=x86-64-v3) and
  for CUDA, whose greedy decodes gpu-check.sh compares token for token;
* the benchmark models of bench/gpu/models, compiled the same way;
* the tools that run them (kiln-run, kiln-gen-data, libkiln_runtime.so) and
  the shared libraries they need that a machine with another system may
  lack (LLVM's OpenMP runtime).

The model JSON files are read from the repository, which travels with the
bundle. Writes one .tar.gz; prints what it compiled and what it skipped.
--list prints the suite lines (with @BUNDLE@ for the bundle's folder) and
compiles nothing.
"""

import argparse
import concurrent.futures
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITES = ["test/e2e/ops", "test/e2e/examples", "test/e2e/gpu/emulation"]
# Compile flags of the CPU path that a CUDA build does not take.
CPU_ONLY_FLAGS = re.compile(r"^(--gpu-emulation|--cpu=.*)$")


def run_lines(test_path):
    """The test's RUN commands, continuation lines joined."""
    commands, current = [], ""
    for line in open(test_path):
        m = re.match(r"\s*#\s*RUN:(.*)$", line)
        if not m:
            continue
        text = m.group(1).strip()
        if text.endswith("\\"):
            current += text[:-1] + " "
            continue
        commands.append(current + text)
        current = ""
    return commands


def substitute(text, test_dir):
    return (text.replace("%kiln_examples", os.path.join(ROOT, "examples"))
            .replace("%kiln_src", ROOT).replace("%S", test_dir))


def invocations(test_path):
    """(model, compile flags, other run-model.sh arguments) per invocation."""
    test_dir = os.path.dirname(test_path)
    for command in run_lines(test_path):
        words = shlex.split(substitute(command.split("|")[0], test_dir))
        if not words or not words[0].endswith("/run-model.sh"):
            continue
        model, rest = os.path.relpath(os.path.normpath(words[1]), ROOT), words[3:]
        flags, others, i = [], [], 0
        while i < len(rest):
            if rest[i] == "--compile-flag":
                if not CPU_ONLY_FLAGS.match(rest[i + 1]):
                    flags.append(rest[i + 1])
                i += 2
            else:
                others.append(rest[i])
                i += 1
        yield model, tuple(flags), others


def kiln_compile(build, model, flags, output):
    """Runs kiln-compile; returns None, or what failed."""
    command = [os.path.join(build, "bin", "kiln-compile"), os.path.join(ROOT, model),
               *flags, "-o", output]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode == 0:
        return None
    return "kiln-compile failed: " + " ".join(command) + "\n" + result.stderr[-2000:]


def compile_variants(build, sm, model, flags, out_dir):
    """The model for CUDA with fusion and without, as run-model.sh --prebuilt takes them."""
    os.makedirs(out_dir, exist_ok=True)
    for variant in ("fusion", "no-fusion"):
        error = kiln_compile(build, model, ["--target=cuda", "--sm=" + sm, "--" + variant, *flags],
                             os.path.join(out_dir, variant + ".so"))
        if error:
            return error
    return None


def compile_generation(build, sm, model, out_dir):
    """CPU and CUDA libraries of one example, for the greedy-decode check."""
    os.makedirs(out_dir, exist_ok=True)
    for name, flags in (("cpu", ["--cpu=x86-64-v3"]), ("cuda", ["--target=cuda", "--sm=" + sm])):
        error = kiln_compile(build, model, flags, os.path.join(out_dir, name + ".so"))
        if error:
            return error
    return None


def shared_libraries_to_carry(binaries):
    """(path, soname) of LLVM's own runtime libraries the binaries load (not
    the system's)."""
    found = set()
    for binary in binaries:
        out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
        for m in re.finditer(r"=> (/\S+)", out):
            if "/llvm-" in m.group(1) or "libomp" in m.group(1):
                found.add((os.path.realpath(m.group(1)), os.path.basename(m.group(1))))
    return sorted(found)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bundle", nargs="?")
    parser.add_argument("--list", action="store_true", help="print the suite lines only")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--sm", default="sm_90")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    build = os.path.abspath(args.build)

    jobs, lines, seen = {}, [], set()
    for suite in SUITES:
        for name in sorted(os.listdir(os.path.join(ROOT, suite))):
            if not name.endswith(".test"):
                continue
            for n, (model, flags, others) in enumerate(
                    invocations(os.path.join(ROOT, suite, name))):
                key = (model, flags)
                if key not in jobs:
                    jobs[key] = "libs/%03d" % len(jobs)
                test = "%s/%s%s" % (os.path.basename(suite), name[:-5],
                                    "#%d" % n if n else "")
                run_args = shlex.join([model, "--prebuilt", "@BUNDLE@/" + jobs[key],
                                       "--run-flag", "--device", "--run-flag", "cuda",
                                       *others])
                # The emulation suite repeats many ops tests as they are.
                if run_args not in seen:
                    seen.add(run_args)
                    lines.append(test + "\t" + run_args)
    if args.list:
        print("\n".join(lines))
        return 0
    if not args.bundle:
        parser.error("the bundle's path is required")
    bench_dir = os.path.join(ROOT, "bench", "gpu", "models")
    for name in sorted(os.listdir(bench_dir)):
        if name.endswith(".json"):
            jobs[(os.path.relpath(os.path.join(bench_dir, name), ROOT), ())] = \
                "bench/" + name[:-5]

    staging = tempfile.mkdtemp(prefix="kiln-gpu-bundle-")
    examples = sorted(name[:-5] for name in os.listdir(os.path.join(ROOT, "examples"))
                      if name.endswith(".json"))

    failures = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(compile_variants, build, args.sm, model, flags,
                               os.path.join(staging, where)): (model, flags)
                   for (model, flags), where in jobs.items()}
        futures.update({pool.submit(compile_generation, build, args.sm,
                                    "examples/%s.json" % name,
                                    os.path.join(staging, "generate", name)): name
                        for name in examples})
        for future in concurrent.futures.as_completed(futures):
            if future.result():
                failures.append(future.result())
    for failure in failures:
        print(failure, file=sys.stderr)
    print("gpu-bundle: %d libraries pairs compiled for %s, %d failed; %d suite lines"
          % (len(jobs), args.sm, len(failures), len(lines)))

    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    with open(os.path.join(staging, "commit.txt"), "w") as f:
        f.write(commit + "\n")
    with open(os.path.join(staging, "suite.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(staging, "generate.txt"), "w") as f:
        f.write("\n".join(examples) + "\n")
    binaries = [os.path.join(build, "bin", t) for t in ("kiln-run", "kiln-gen-data")]
    runtime = os.path.join(build, "lib", "libkiln_runtime.so")
    os.makedirs(os.path.join(staging, "bin"))
    os.makedirs(os.path.join(staging, "lib"))
    for binary in binaries:
        shutil.copy2(binary, os.path.join(staging, "bin"))
    shutil.copy2(runtime, os.path.join(staging, "lib"))
    models = [os.path.join(staging, where, "fusion.so") for where in jobs.values()]
    models += [os.path.join(staging, "generate", name, "cpu.so") for name in examples]
    models = [m for m in models if os.path.exists(m)]
    for path, soname in shared_libraries_to_carry(binaries + [runtime] + models):
        shutil.copy2(path, os.path.join(staging, "lib", soname))
    with tarfile.open(args.bundle, "w:gz") as tar:
        tar.add(staging, arcname=".")
    shutil.rmtree(staging)
    print("gpu-bundle: wrote %s (%.1f MiB)" % (args.bundle, os.path.getsize(args.bundle) / 2**20))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
