"""Kiln's benchmark suite (issue 6), driven by bench/run.sh.

Each workload is a Kiln JSON IR model, compiled with kiln-compile, given data
by kiln-gen-data and timed with `kiln-run --bench` (as an outside checker
would time it); every anchor then runs the same computation on the same data
in a process of its own (bench/anchor.py), and its output is compared with
Kiln's. GEMM shapes go through kiln-bench (Kiln's `linear` against OpenBLAS
sgemm in one process). The report (Markdown and JSON) goes to --out.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402
import workloads  # noqa: E402
from workloads import Case  # noqa: E402

SYSTEM_PYTHON = "/usr/bin/python3"
# PyTorch is several times slower on these VMs without these (DESIGN.md §7).
TORCH_ENV = {"OMP_WAIT_POLICY": "PASSIVE",
             "MALLOC_MMAP_THRESHOLD_": "4294967296",
             "MALLOC_TRIM_THRESHOLD_": "4294967296"}


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_cmd(cmd, timeout=1800, env=None):
    """Runs cmd; returns (ok, stdout, message) with the last stderr line as
    the message on failure."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return False, "", f"timed out after {timeout} s: {' '.join(cmd)}"
    except OSError as e:
        return False, "", f"{cmd[0]}: {e}"
    if p.returncode != 0:
        lines = (p.stderr.strip() or p.stdout.strip()).splitlines()
        return False, p.stdout, lines[-1] if lines else f"exit {p.returncode}"
    return True, p.stdout, ""


class Suite:
    def __init__(self, args):
        self.args = args
        self.bin = args.kiln_bin
        self.out = args.out
        self.cases_dir = os.path.join(self.out, "cases")
        self.venv_python = os.path.join(args.venv, "bin", "python")
        self.results = {"workloads": [], "notes": []}
        self.anchor_info = {}
        self.cpus = os.cpu_count() or 1

    # -- tools --------------------------------------------------------------
    def tool(self, name):
        return os.path.join(self.bin, name)

    def build_c_helpers(self):
        """peak (FMA throughput) and the hand-fused C scan library."""
        cc = shutil.which("gcc") or shutil.which("cc")
        helpers = os.path.join(self.out, "bin")
        os.makedirs(helpers, exist_ok=True)
        if not cc:
            return "skipped: no C compiler (apt-get install gcc)"
        version = subprocess.run([cc, "--version"], capture_output=True,
                                 text=True).stdout.splitlines()[0]
        # "gcc (Debian 12.2.0-14) 12.2.0" -> "gcc 12.2.0"
        self.cc_version = f"{os.path.basename(cc)} {version.split()[-1]}"
        flags = ["-O3", "-march=native", "-fopenmp"]
        for cmd in ([cc, *flags, os.path.join(HERE, "peak.c"), "-o",
                     os.path.join(helpers, "peak")],
                    [cc, *flags, "-ffast-math", "-shared", "-fPIC",
                     os.path.join(HERE, "scan_ref.c"), "-o",
                     os.path.join(helpers, "scan_ref.so"), "-lm"]):
            ok, _, message = run_cmd(cmd, timeout=300)
            if not ok:
                return f"skipped: {' '.join(cmd)}: {message}"
        return None

    def measure_peak(self):
        peak = {}
        for threads in sorted({1, self.args.threads}):
            ok, out, message = run_cmd(
                [os.path.join(self.out, "bin", "peak"), str(threads)])
            m = re.search(r"peak_gflops \d+ ([0-9.]+)", out) if ok else None
            if m:
                peak[threads] = float(m.group(1))
            else:
                self.results["notes"].append(f"peak at {threads} threads "
                                             f"skipped: {message}")
        log(f"measured peak: {peak} GFLOP/s")
        self.results["peak"] = peak
        return peak

    # -- Kiln ---------------------------------------------------------------
    def prepare_case(self, case: Case, folder=None):
        """Writes the model, its data (kiln-gen-data reads the JSON) and the
        anchors' spec; returns the folder, or raises RuntimeError."""
        folder = folder or os.path.join(self.cases_dir, case.name)
        os.makedirs(folder, exist_ok=True)
        model_json = os.path.join(folder, "model.json")
        with open(model_json, "w") as f:
            json.dump(case.model, f, indent=1)
        inputs = {n: os.path.join(folder, f"{n}.npy")
                  for n in case.input_names}
        weights = (os.path.join(folder, "weights.safetensors")
                   if case.has_params else None)
        cmd = [self.tool("kiln-gen-data"), model_json, "--seed", "1"]
        cmd += [f"--input={n}={p}" for n, p in inputs.items()]
        cmd += [f"--dim={k}={v}" for k, v in case.dims.items()]
        if weights:
            cmd += ["--weights", weights]
        ok, _, message = run_cmd(cmd)
        if not ok:
            raise RuntimeError(f"kiln-gen-data failed: {message}")
        spec = dict(case.spec, inputs=inputs, weights=weights)
        with open(os.path.join(folder, "spec.json"), "w") as f:
            json.dump(spec, f, indent=1)
        return folder

    def compile_case(self, folder):
        """kiln-compile model.json -o model.so; returns the seconds it took,
        or raises RuntimeError."""
        start = time.perf_counter()
        ok, _, message = run_cmd([self.tool("kiln-compile"),
                                  os.path.join(folder, "model.json"), "-o",
                                  os.path.join(folder, "model.so")])
        if not ok:
            raise RuntimeError(f"kiln-compile failed: {message}")
        return time.perf_counter() - start

    def kiln_run_cmd(self, folder, case, threads):
        cmd = [self.tool("kiln-run"), os.path.join(folder, "model.so"),
               "--threads", str(threads), "-q"]
        if case.has_params:
            cmd += ["--weights", os.path.join(folder, "weights.safetensors")]
        for n in case.input_names:
            cmd += ["--input", f"{n}={os.path.join(folder, n + '.npy')}"]
        return cmd

    def time_kiln(self, folder, case, threads, output=None):
        """kiln-run --bench R: its median (after its one warm-up run)."""
        cmd = self.kiln_run_cmd(folder, case, threads)
        cmd += ["--bench", str(self.args.reps)]
        if output:
            cmd += ["--output", output]
        ok, out, message = run_cmd(cmd)
        if not ok:
            return {"skipped": f"kiln-run failed: {message}"}
        m = re.search(r"median ([0-9.eE+-]+) ms\s+min ([0-9.eE+-]+) ms\s+"
                      r"max ([0-9.eE+-]+) ms", out)
        if not m:
            return {"skipped": f"cannot parse kiln-run --bench: {out!r}"}
        median, low, high = (float(g) for g in m.groups())
        return {"name": "Kiln", "median_ms": median, "min_ms": low,
                "max_ms": high, "reps": self.args.reps, "threads": threads}

    # -- anchors ------------------------------------------------------------
    def anchor_cmd(self, framework, threads):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        prefix = []
        if framework == "torch":
            python = SYSTEM_PYTHON
            env.update(TORCH_ENV, OPENBLAS_NUM_THREADS=str(threads))
        elif framework == "c":
            python = SYSTEM_PYTHON
            env["KILN_BENCH_SCAN_LIB"] = os.path.join(self.out, "bin",
                                                      "scan_ref.so")
            env["KILN_BENCH_CC_VERSION"] = getattr(self, "cc_version", "gcc")
        else:  # ort, jax: PyPI packages in the virtual environment
            python = self.venv_python
            env["JAX_PLATFORMS"] = "cpu"
            if framework == "jax" and threads < self.cpus and shutil.which(
                    "taskset"):
                prefix = ["taskset", "-c", f"0-{threads - 1}"]
        if not os.access(python, os.X_OK):
            return None, None, f"{python} not found (see bench/setup.sh)"
        return prefix + [python, os.path.join(HERE, "anchor.py"),
                         framework], env, None

    def run_anchor(self, framework, folder, case, threads):
        cmd, env, problem = self.anchor_cmd(framework, threads)
        if problem:
            return {"skipped": problem}
        warmup, reps = case.reps_cap.get(
            framework, (self.args.warmup, self.args.reps))
        # At least one warm-up: JAX compiles on the first call.
        warmup = max(1, min(warmup, self.args.warmup))
        reps = min(reps, self.args.reps)
        output = os.path.join(folder, f"out_{framework}.npy")
        if os.path.exists(output):
            os.remove(output)
        ok, out, message = run_cmd(
            cmd + [folder, str(threads), str(warmup), str(reps), output],
            env=env)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if not lines:
            return {"skipped": f"anchor process failed: {message}"}
        result = json.loads(lines[-1])
        if "name" in result:
            self.anchor_info[framework] = {
                k: result[k] for k in ("name", "version", "notes")}
        if "median_ms" in result:
            result["check"] = compare(os.path.join(folder, "kiln.npy"),
                                      output)
        return result

    # -- workloads ----------------------------------------------------------
    def run_case(self, case: Case, scaling=False):
        threads = self.args.threads
        log(f"{case.name}: compile and data")
        entry = {"name": case.name, "title": case.title, "flops": case.flops,
                 "threads": threads, "sides": {}}
        self.results["workloads"].append(entry)
        try:
            folder = self.prepare_case(case)
        except RuntimeError as e:
            entry["sides"]["kiln"] = {"skipped": str(e)}
            log(f"{case.name}: skipped: {e}")
            return
        kiln_out = os.path.join(folder, "kiln.npy")
        if os.path.exists(kiln_out):
            os.remove(kiln_out)
        try:
            entry["compile_s"] = self.compile_case(folder)
            log(f"{case.name}: Kiln, {threads} thread(s)")
            entry["sides"]["kiln"] = self.time_kiln(folder, case, threads,
                                                    kiln_out)
        except RuntimeError as e:  # the anchors still run
            entry["sides"]["kiln"] = {"skipped": str(e)}
            scaling = False
        kiln = entry["sides"]["kiln"]
        log(f"  -> {kiln.get('median_ms', kiln.get('skipped'))}")
        for framework in case.anchors:
            log(f"{case.name}: {framework}")
            entry["sides"][framework] = self.run_anchor(framework, folder,
                                                        case, threads)
            side = entry["sides"][framework]
            log(f"  -> {side.get('median_ms', side.get('skipped'))}")
        if scaling and threads != 1 and "median_ms" in kiln:
            log(f"{case.name}: Kiln, 1 thread (scaling)")
            entry["kiln_1_thread"] = self.time_kiln(folder, case, 1)

    def run_gemm(self):
        shapes = (workloads.GEMM_SHAPES_QUICK if self.args.quick
                  else workloads.GEMM_SHAPES)
        bench = self.tool("kiln-bench")
        entry = {"threads": self.args.threads, "rows": []}
        self.results["gemm"] = entry
        if not os.access(bench, os.X_OK):
            entry["skipped"] = (f"{bench} not built (it needs OpenBLAS: "
                                "libopenblas-dev, then re-run cmake)")
            return
        log(f"GEMM: kiln-bench, {len(shapes)} shapes")
        cmd = [bench, "--threads", str(self.args.threads), "--reps",
               str(self.args.reps), "--warmup", str(self.args.warmup),
               "--case", "gemm", "--csv", "--kiln-compile",
               self.tool("kiln-compile"), "--gemm",
               ",".join(f"{m}x{k}x{n}" for m, k, n in shapes)]
        ok, out, message = run_cmd(cmd, timeout=3600)
        for line in out.splitlines():
            fields = line.split(",")
            if len(fields) == 6 and fields[0].startswith("gemm-"):
                name, threads, kiln_ms, blas_ms, flops, diff = fields
                entry["rows"].append({
                    "name": name, "threads": int(threads),
                    "kiln_ms": float(kiln_ms), "blas_ms": float(blas_ms),
                    "flops": float(flops), "max_abs_diff": float(diff)})
        if not ok:
            entry["skipped"] = f"kiln-bench failed: {message}"
        version = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "libopenblas0-pthread"],
            capture_output=True, text=True).stdout
        entry["openblas"] = version or "unknown"

    def run_memory(self):
        """Peak RSS of one kiln-run of causal attention at growing T (causal:
        half the time of no mask at T=16384, and a T×T buffer would show as
        much)."""
        lengths = (workloads.MEMORY_T_QUICK if self.args.quick
                   else workloads.MEMORY_T)
        entry = {"threads": self.args.threads, "rows": []}
        self.results["memory"] = entry
        base = os.path.join(self.cases_dir, "attention-memory")
        for t in lengths:
            case = workloads.attention(t=t, causal=True)
            log(f"memory: attention T={t}")
            try:
                folder = self.prepare_case(case, os.path.join(base, f"T{t}"))
                self.compile_case(folder)
            except RuntimeError as e:
                entry["skipped"] = str(e)
                return
            cmd = self.kiln_run_cmd(folder, case, self.args.threads)
            start = time.perf_counter()
            with open(os.path.join(folder, "kiln-run.log"), "w") as logf:
                proc = subprocess.Popen(cmd, stdout=logf, stderr=logf)
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
            seconds = time.perf_counter() - start
            if proc.returncode != 0:
                entry["rows"].append({"T": t, "skipped": "kiln-run failed "
                                      f"(exit {proc.returncode})"})
                continue
            entry["rows"].append({
                "T": t, "max_rss_mib": usage.ru_maxrss / 1024.0,
                "tensors_mib": 4 * t * case.spec["H"] * case.spec["D"] * 4
                / 2**20, "seconds": seconds})
            for n in case.input_names:  # 3 x 32 MiB at T=16384
                os.remove(os.path.join(folder, f"{n}.npy"))

    # -- the whole run ------------------------------------------------------
    def environment(self):
        env = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
               "cpus": self.cpus, "threads": self.args.threads,
               "reps": self.args.reps, "warmup": self.args.warmup,
               "quick": self.args.quick, "load_start": os.getloadavg()}
        try:
            with open("/proc/cpuinfo") as f:
                text = f.read()
            env["cpu"] = re.search(r"model name\s*:\s*(.*)", text).group(1)
            flags = re.search(r"flags\s*:\s*(.*)", text).group(1).split()
            env["simd"] = ("AVX-512" if "avx512f" in flags else
                           "AVX2" if "avx2" in flags else "SSE")
        except (OSError, AttributeError):
            pass
        repo = os.path.dirname(HERE)
        ok, out, _ = run_cmd(["git", "-C", repo, "describe", "--always",
                              "--dirty"])
        env["kiln_commit"] = out.strip() if ok else "unknown"
        return env

    def run(self):
        os.makedirs(self.cases_dir, exist_ok=True)
        self.results["env"] = self.environment()
        only = set(self.args.only or ["attention", "swiglu", "scan", "gemm",
                                      "memory"])
        problem = self.build_c_helpers()
        if problem:
            self.results["notes"].append(f"C helpers {problem}")
            self.results["peak"] = {}
        else:
            self.measure_peak()
        if "attention" in only:
            self.run_case(workloads.attention(causal=False), scaling=True)
            self.run_case(workloads.attention(causal=True),
                          scaling=not self.args.quick)
        if "swiglu" in only:
            self.run_case(workloads.swiglu())
        if "scan" in only:
            self.run_case(workloads.scan())
        if "gemm" in only:
            self.run_gemm()
        if "memory" in only:
            self.run_memory()
        self.results["env"]["load_end"] = os.getloadavg()
        self.results["anchors"] = self.anchor_info
        with open(os.path.join(self.out, "results.json"), "w") as f:
            json.dump(self.results, f, indent=1)
        text = report.render(self.results)
        with open(os.path.join(self.out, "report.md"), "w") as f:
            f.write(text)
        print(text)
        log(f"report: {os.path.join(self.out, 'report.md')} (raw: "
            "results.json)")


def compare(kiln_path, other_path):
    """Largest |difference| and that over max |Kiln|; ok below 1e-3."""
    if not (os.path.exists(kiln_path) and os.path.exists(other_path)):
        return {"status": "not compared (an output is missing)"}
    kiln, other = np.load(kiln_path), np.load(other_path)
    if kiln.shape != other.shape:
        return {"status": f"shape {other.shape} != Kiln's {kiln.shape}"}
    diff = float(np.max(np.abs(kiln.astype(np.float64) - other)))
    scale = float(np.max(np.abs(kiln))) or 1.0
    if not np.isfinite(diff):
        return {"status": "MISMATCH (non-finite values)", "max_abs": diff}
    return {"status": "ok" if diff / scale < 1e-3 else "MISMATCH",
            "max_abs": diff, "max_rel": diff / scale}


def main():
    repo = os.path.dirname(HERE)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiln-bin", default=os.path.join(repo, "build",
                                                           "bin"))
    parser.add_argument("--venv", default=os.path.join(repo, "build",
                                                       "bench-venv"))
    parser.add_argument("--out", default=os.path.join(repo, "build",
                                                      "bench-results"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=None,
                        help="timed runs per side (default 10, quick 3)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed runs per anchor (default 2, quick 1)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer reps, GEMM shapes and memory lengths")
    parser.add_argument("--only", action="append",
                        choices=["attention", "swiglu", "scan", "gemm",
                                 "memory"])
    args = parser.parse_args()
    if args.reps is None:
        args.reps = 3 if args.quick else 10
    if args.warmup is None:
        args.warmup = 1 if args.quick else 2
    args.out = os.path.abspath(args.out)
    Suite(args).run()


if __name__ == "__main__":
    main()
