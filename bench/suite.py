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
import decode  # noqa: E402
import report  # noqa: E402
import workloads  # noqa: E402
from bench_io import (causal_mask, median, read_safetensors,  # noqa: E402
                      write_safetensors)
from workloads import Case  # noqa: E402

# `--only models` runs all four.
MODEL_WORKLOADS = ["gpt2-block", "bert-encoder", "compile-gpt2-12",
                   "memory-gpt2-12"]

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
                    [cc, *flags, os.path.join(HERE, "triad.c"), "-o",
                     os.path.join(helpers, "triad")],
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

    def compile_case(self, folder, stem="model"):
        """kiln-compile STEM.json -o STEM.so; returns the seconds it took,
        or raises RuntimeError."""
        start = time.perf_counter()
        ok, _, message = run_cmd([self.tool("kiln-compile"),
                                  os.path.join(folder, stem + ".json"), "-o",
                                  os.path.join(folder, stem + ".so")])
        if not ok:
            raise RuntimeError(f"kiln-compile failed: {message}")
        return time.perf_counter() - start

    def kiln_run_cmd(self, folder, case, threads, stem="model",
                     input_names=None):
        cmd = [self.tool("kiln-run"), os.path.join(folder, stem + ".so"),
               "--threads", str(threads), "-q"]
        if case.has_params:
            cmd += ["--weights", os.path.join(folder, "weights.safetensors")]
        for n in input_names or case.input_names:
            cmd += ["--input", f"{n}={os.path.join(folder, n + '.npy')}"]
        return cmd

    def time_kiln(self, folder, case, threads, output=None, stem="model",
                  input_names=None):
        """kiln-run --bench R: its median (after its one warm-up run)."""
        cmd = self.kiln_run_cmd(folder, case, threads, stem, input_names)
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
                                      output, *case.tolerance)
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

    def prepare_model_case(self, case):
        """Both forms' JSON, one set of data for both: kiln-gen-data on the
        primitives form (a superset: its weights add "attn.scale", its
        inputs the causal "mask"), then the scale and the mask overwritten
        with their real values. The composite form ignores the extra
        tensor in the weights file."""
        folder = os.path.join(self.cases_dir, case.name)
        os.makedirs(folder, exist_ok=True)
        for stem, model in (("model", case.model),
                            ("primitives", case.primitives)):
            with open(os.path.join(folder, stem + ".json"), "w") as f:
                json.dump(model, f, indent=1)
        names = [d["name"] for d in case.primitives["inputs"]]
        inputs = {n: os.path.join(folder, f"{n}.npy") for n in names}
        weights = os.path.join(folder, "weights.safetensors")
        cmd = [self.tool("kiln-gen-data"),
               os.path.join(folder, "primitives.json"), "--seed", "1",
               "--weights", weights]
        cmd += [f"--input={n}={p}" for n, p in inputs.items()]
        cmd += [f"--dim={k}={v}" for k, v in case.dims.items()]
        ok, _, message = run_cmd(cmd)
        if not ok:
            raise RuntimeError(f"kiln-gen-data failed: {message}")
        tensors = read_safetensors(weights)
        tensors["attn.scale"] = np.array(
            [1 / np.sqrt(case.spec["d"] // case.spec["heads"])], np.float32)
        write_safetensors(weights, tensors)
        if "mask" in inputs:
            np.save(inputs["mask"], causal_mask(case.dims["seq"],
                                                case.spec["mask_value"]))
        spec = dict(case.spec, inputs=inputs, weights=weights)
        with open(os.path.join(folder, "spec.json"), "w") as f:
            json.dump(spec, f, indent=1)
        return folder, names

    def run_model_case(self, case):
        """A whole model: Kiln's composite form (the reference every other
        side is compared with), Kiln's primitives form, then the anchors."""
        threads = self.args.threads
        log(f"{case.name}: data and compile (composite, primitives)")
        entry = {"name": case.name, "title": case.title, "flops": case.flops,
                 "threads": threads, "sides": {}, "compile_s": {},
                 "tolerance": list(case.tolerance)}
        self.results["workloads"].append(entry)
        try:
            folder, prim_inputs = self.prepare_model_case(case)
        except RuntimeError as e:
            entry["sides"]["kiln"] = {"skipped": str(e)}
            log(f"{case.name}: skipped: {e}")
            return
        outputs = {}
        for key, stem, inputs in (("kiln", "model", case.input_names),
                                  ("kiln_primitives", "primitives",
                                   prim_inputs)):
            outputs[key] = os.path.join(folder, key + ".npy")
            if os.path.exists(outputs[key]):
                os.remove(outputs[key])
            try:
                entry["compile_s"][key] = self.compile_case(folder, stem)
                log(f"{case.name}: Kiln {key}, {threads} thread(s)")
                entry["sides"][key] = self.time_kiln(
                    folder, case, threads, outputs[key], stem, inputs)
            except RuntimeError as e:
                entry["sides"][key] = {"skipped": str(e)}
            side = entry["sides"][key]
            log(f"  -> {side.get('median_ms', side.get('skipped'))}")
        if "median_ms" in entry["sides"]["kiln_primitives"]:
            entry["sides"]["kiln_primitives"]["check"] = compare(
                outputs["kiln"], outputs["kiln_primitives"], *case.tolerance)
        for framework in case.anchors:
            log(f"{case.name}: {framework}")
            entry["sides"][framework] = self.run_anchor(framework, folder,
                                                        case, threads)
            side = entry["sides"][framework]
            log(f"  -> {side.get('median_ms', side.get('skipped'))}")

    def run_gpt2_12(self, want_compile, want_memory):
        """The 12-layer GPT-2-size model: kiln-compile's time (median of
        COMPILE_REPS), then the peak RSS of one kiln-run at T=2048 beside
        the weights and two layers' activations."""
        case = workloads.gpt2_12()
        entry = {"name": case.name, "title": case.title,
                 "layers": case.spec["layers"], "T": case.spec["T"],
                 "d": case.spec["d"], "hidden": case.spec["hidden"],
                 "threads": self.args.threads}
        self.results["gpt2_12"] = entry
        log(f"{case.name}: data")
        try:
            folder = self.prepare_case(case)
        except RuntimeError as e:
            entry["skipped"] = str(e)
            return
        reps = workloads.COMPILE_REPS if want_compile else 1
        times, cpu_times = [], []
        for i in range(reps):
            log(f"{case.name}: kiln-compile ({i + 1}/{reps})")
            code, seconds, usage = timed_child(
                [self.tool("kiln-compile"), os.path.join(folder, "model.json"),
                 "-o", os.path.join(folder, "model.so")],
                os.path.join(folder, "kiln-compile.log"))
            if code != 0:
                entry["skipped"] = (f"kiln-compile failed (exit {code}, see "
                                    f"{folder}/kiln-compile.log)")
                return
            times.append(seconds)
            cpu_times.append(usage.ru_utime + usage.ru_stime)
        if want_compile:
            entry["compile_s"] = times
            entry["compile_median_s"] = median(times)
            entry["compile_cpu_s"] = cpu_times
            entry["compile_cpu_median_s"] = median(cpu_times)
            log(f"  -> {entry['compile_median_s']:.2f} s "
                f"(CPU {entry['compile_cpu_median_s']:.2f} s)")
        if not want_memory:
            return
        log(f"{case.name}: peak RSS of kiln-run")
        cmd = self.kiln_run_cmd(folder, case, self.args.threads)
        cmd += ["--output", os.path.join(folder, "kiln.npy")]
        code, seconds, usage = timed_child(
            cmd, os.path.join(folder, "kiln-run.log"))
        if code != 0:
            entry["memory_skipped"] = f"kiln-run failed (exit {code})"
            return
        params = case.model["params"]
        t, d = case.spec["T"], case.spec["d"]
        entry.update({
            "max_rss_mib": usage.ru_maxrss / 1024.0,
            "weights_mib": sum(4 * int(np.prod(p["shape"])) for p in params)
            / 2**20,
            "layer_activations_mib": workloads.gpt2_layer_activation_bytes(
                t, 1, d, case.spec["hidden"]) / 2**20,
            "io_mib": 2 * 4 * t * d / 2**20, "run_s": seconds})
        entry["target_mib"] = (entry["weights_mib"]
                               + 2 * entry["layer_activations_mib"])
        log(f"  -> {entry['max_rss_mib']:.0f} MiB (weights "
            f"{entry['weights_mib']:.0f} + 2 layers "
            f"{2 * entry['layer_activations_mib']:.0f} = "
            f"{entry['target_mib']:.0f} MiB)")

    def run_decode(self):
        """Decode tokens/s of Kiln and transformers (bench/decode.py)."""
        triad = None
        ok, out, message = run_cmd(
            [os.path.join(self.out, "bin", "triad"), str(self.args.threads)])
        m = re.search(r"triad_gbs \d+ ([0-9.]+)", out) if ok else None
        if m:
            triad = float(m.group(1))
        else:
            self.results["notes"].append(f"STREAM triad skipped: {message}")
        log(f"measured triad bandwidth: {triad} GB/s")
        peak = self.results.get("peak", {}).get(self.args.threads)
        env = dict(os.environ, **TORCH_ENV)
        self.results["decode"] = decode.run(
            self.bin, self.out, self.args.threads, self.args.reps,
            self.args.hf_site, env, log, peak, triad)

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
        only = set(self.args.only or ["attention", "softcap", "swiglu", "scan",
                                      "gemm", "memory", "models", "decode"])
        if "models" in only:
            only |= set(MODEL_WORKLOADS)
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
        if "softcap" in only:
            self.run_case(workloads.softcap_attention())
        if "swiglu" in only:
            self.run_case(workloads.swiglu())
        if "scan" in only:
            self.run_case(workloads.scan())
        if "gemm" in only:
            self.run_gemm()
        if "memory" in only:
            self.run_memory()
        if "gpt2-block" in only:
            self.run_model_case(workloads.gpt2_block())
        if "bert-encoder" in only:
            self.run_model_case(workloads.bert_encoder())
        if "compile-gpt2-12" in only or "memory-gpt2-12" in only:
            self.run_gpt2_12("compile-gpt2-12" in only,
                             "memory-gpt2-12" in only)
        if "decode" in only:
            self.run_decode()
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


def timed_child(cmd, log_path):
    """Runs cmd with its output to log_path; returns (exit code, wall
    seconds, its rusage: max RSS, user and system CPU time)."""
    start = time.perf_counter()
    with open(log_path, "w") as logf:
        try:
            proc = subprocess.Popen(cmd, stdout=logf, stderr=logf)
        except OSError as e:
            logf.write(f"{cmd[0]}: {e}\n")
            return 127, 0.0, None
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - start, usage


def compare(kiln_path, other_path, rtol=None, atol=None):
    """Largest |difference| and that over max |Kiln|. Without tolerances:
    ok when that ratio is below 1e-3. With them (whole models): ok when
    np.allclose(other, kiln, rtol, atol), i.e. every element has
    |other - kiln| <= atol + rtol·|kiln|."""
    if not (os.path.exists(kiln_path) and os.path.exists(other_path)):
        return {"status": "not compared (an output is missing)"}
    kiln, other = np.load(kiln_path), np.load(other_path)
    if kiln.shape != other.shape:
        return {"status": f"shape {other.shape} != Kiln's {kiln.shape}"}
    diff = float(np.max(np.abs(kiln.astype(np.float64) - other)))
    scale = float(np.max(np.abs(kiln))) or 1.0
    if not np.isfinite(diff):
        return {"status": "MISMATCH (non-finite values)", "max_abs": diff}
    if rtol is None:
        ok = diff / scale < 1e-3
    else:
        ok = bool(np.allclose(other, kiln, rtol=rtol, atol=atol))
    return {"status": "ok" if ok else "MISMATCH", "max_abs": diff,
            "max_rel": diff / scale}


def main():
    repo = os.path.dirname(HERE)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiln-bin", default=os.path.join(repo, "build",
                                                           "bin"))
    parser.add_argument("--venv", default=os.path.join(repo, "build",
                                                       "bench-venv"))
    parser.add_argument("--out", default=os.path.join(repo, "build",
                                                      "bench-results"))
    parser.add_argument("--hf-site", default=os.path.join(repo, "build",
                                                          "bench-hf"),
                        help="where bench/setup.sh put transformers")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=None,
                        help="timed runs per side (default 10, quick 3)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed runs per anchor (default 2, quick 1)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer reps, GEMM shapes and memory lengths")
    parser.add_argument("--only", action="append",
                        choices=["attention", "softcap", "swiglu", "scan",
                                 "gemm", "memory", "models", "decode",
                                 *MODEL_WORKLOADS])
    args = parser.parse_args()
    if args.reps is None:
        args.reps = 3 if args.quick else 10
    if args.warmup is None:
        args.warmup = 1 if args.quick else 2
    args.out = os.path.abspath(args.out)
    Suite(args).run()


if __name__ == "__main__":
    main()
