"""Markdown report of a bench/suite.py run (from its results dict)."""
import decode

SIDE_ORDER = ["kiln", "kiln_primitives", "ort", "ort_ops", "torch", "jax",
              "c"]
NAMES = {"kiln": "Kiln", "kiln_primitives": "Kiln primitives",
         "ort": "ONNX Runtime", "ort_ops": "ONNX Runtime (attention as ONNX "
         "ops)", "torch": "PyTorch", "jax": "JAX", "c": "hand-fused C"}


def ms(x):
    if x is None:
        return "—"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else (
        f"{x:.1f}" if x < 100 else f"{x:.0f}")


def gflops(flops, time_ms):
    return flops / time_ms * 1e-6 if flops and time_ms else None


def pct(rate, peak):
    return f"{100 * rate / peak:.0f}%" if rate and peak else "—"


def num(x, digits=1):
    return "—" if x is None else f"{x:.{digits}f}"


def side_name(key, side, anchors, entry=None):
    if key == "kiln":
        if entry and "kiln_primitives" in entry["sides"]:
            return "**Kiln, composite form** (kiln-run --bench)"
        return "**Kiln** (kiln-run --bench)"
    if key == "kiln_primitives":
        return "**Kiln, primitives form** (kiln-run --bench)"
    info = anchors.get(key, {})
    name = side.get("name") or info.get("name") or NAMES.get(key, key)
    version = side.get("version") or info.get("version")
    return f"{name} {version}" if version else name


def fastest_peer(entry):
    peers = [(side["median_ms"], key) for key, side in entry["sides"].items()
             if not key.startswith("kiln") and "median_ms" in side]
    return min(peers) if peers else (None, None)


def header(results):
    env, peak = results["env"], results.get("peak", {})
    threads = env["threads"]
    lines = [f"# Kiln benchmark suite — {env['date']}", "",
             f"- Machine: {env.get('cpu', '?')}, {env['cpus']} CPUs, "
             f"{env.get('simd', '?')}; load average at start "
             f"{env['load_start'][0]:.2f}, at end "
             f"{env.get('load_end', [0])[0]:.2f} (above ~0.2 means someone "
             "else was using the machine: the figures are noisier).",
             f"- Kiln {env['kiln_commit']}; {threads} thread(s) for every "
             f"side unless said; medians of {env['reps']} timed runs (Kiln: "
             "kiln-run's own median after its warm-up run; anchors: after "
             f"{env['warmup']} warm-up run(s)){'; --quick' if env['quick'] else ''}.",
             "- Peak (bench/peak.c, FMA chains, best of 20): " + (", ".join(
                 f"{p:.0f} GFLOP/s on {t} thread(s)"
                 for t, p in sorted(peak.items(), key=lambda kv: int(kv[0])))
                 or "not measured") + "; `% peak` is against the peak at "
             "the same thread count, taken as the larger of the N-thread "
             "figure and N × the 1-thread one (a busy machine lowers the "
             "N-thread figure first). DESIGN.md §7 gives 117 GFLOP/s per "
             "core for these Zen 4 machines.",
             "- Speedup = the other side's median / Kiln's median: above 1, "
             "Kiln is faster."]
    for key, info in results.get("anchors", {}).items():
        lines.append(f"- {info['name']} {info['version']}: "
                     + "; ".join(info.get("notes", [])))
    for note in results.get("notes", []):
        lines.append(f"- {note}")
    return lines


def peak_at(results, threads):
    peak = {int(k): v for k, v in results.get("peak", {}).items()}
    candidates = [peak.get(threads, 0), threads * peak.get(1, 0)]
    return max(candidates) or None


def summary(results):
    lines = ["", "## Summary", "",
             "| workload | Kiln ms | fastest peer | peer ms | Kiln speedup "
             "(peer ms / Kiln ms) | Kiln GFLOP/s | % peak |",
             "|---|---:|---|---:|---:|---:|---:|"]
    anchors = results.get("anchors", {})
    for entry in results["workloads"]:
        peer_ms, peer = fastest_peer(entry)
        peer_name = side_name(peer, entry["sides"][peer], anchors) if peer \
            else "—"
        forms = [("kiln", entry["title"])]
        if "kiln_primitives" in entry["sides"]:
            forms = [("kiln", entry["title"] + " — Kiln composite form"),
                     ("kiln_primitives",
                      entry["title"] + " — Kiln primitives form")]
        for key, title in forms:
            kiln = entry["sides"].get(key, {})
            k = kiln.get("median_ms")
            rate = gflops(entry["flops"], k)
            lines.append(
                f"| {title} | "
                f"{ms(k) if k else 'skipped: ' + kiln.get('skipped', '?')}"
                f" | {peer_name} | {ms(peer_ms)} | "
                f"{num(peer_ms / k, 2) + '×' if k and peer_ms else '—'} | "
                f"{num(rate)} | "
                f"{pct(rate, peak_at(results, entry['threads']))} |")
    big = results.get("gpt2_12", {})
    if "compile_median_s" in big:
        lines.append(f"| kiln-compile, {big['title']} (median of "
                     f"{len(big['compile_s'])}) | {big['compile_median_s']:.2f}"
                     f" s (CPU {big.get('compile_cpu_median_s', 0):.2f} s) | "
                     "— | — | — | — | — |")
    if "max_rss_mib" in big:
        lines.append(f"| kiln-run peak RSS, {big['title']} | "
                     f"{big['max_rss_mib']:.0f} MiB (weights + 2 layers' "
                     f"activations: {big['target_mib']:.0f} MiB) | — | — | — "
                     "| — | — |")
    gemm = results.get("gemm", {})
    for row in gemm.get("rows", []):
        rate = gflops(row["flops"], row["kiln_ms"])
        lines.append(
            f"| GEMM {row['name'][5:]} (M×K×N, linear) | {ms(row['kiln_ms'])}"
            f" | OpenBLAS sgemm | {ms(row['blas_ms'])} | "
            f"{row['blas_ms'] / row['kiln_ms']:.2f}× | {num(rate)} | "
            f"{pct(rate, peak_at(results, row['threads']))} |")
    return lines


def workload_table(results, entry):
    anchors = results.get("anchors", {})
    peak = peak_at(results, entry["threads"])
    lines = ["", f"### {entry['title']}", ""]
    compile_s = entry.get("compile_s")
    if isinstance(compile_s, dict):
        lines.append("kiln-compile took " + ", ".join(
            f"{t:.1f} s ({'composite' if k == 'kiln' else 'primitives'})"
            for k, t in compile_s.items()) + f". {entry['threads']} "
            "thread(s). Every other side is compared with Kiln's composite "
            "form: ok when np.allclose(side, Kiln, rtol="
            f"{entry['tolerance'][0]:g}, atol={entry['tolerance'][1]:g}). The "
            "primitives form gets the same weights and 1/√Dh as the "
            "parameter `attn.scale`"
            + (", and the causal mask as the input `mask`"
               if "causal" in entry["title"] else "") + ".")
        lines.append("")
    elif compile_s is not None:
        lines.append(f"kiln-compile took {compile_s:.1f} s. "
                     f"{entry['threads']} thread(s).")
        lines.append("")
    lines += ["| side | median ms | GFLOP/s | % peak | Kiln speedup (side ms "
              "/ Kiln ms) | max abs diff vs Kiln | check |",
              "|---|---:|---:|---:|---:|---:|---|"]
    k = entry["sides"].get("kiln", {}).get("median_ms")
    for key in SIDE_ORDER:
        side = entry["sides"].get(key)
        if side is None:
            continue
        name = side_name(key, side, anchors, entry)
        if "median_ms" not in side:
            lines.append(f"| {name} | skipped: {side.get('skipped', '?')} "
                         "| | | | | |")
            continue
        t = side["median_ms"]
        rate = gflops(entry["flops"], t)
        check = side.get("check", {})
        note = (f" ({side['reps']} reps)" if not key.startswith("kiln") and
                side.get("reps") != results["env"]["reps"] else "")
        lines.append(
            f"| {name}{note} | {ms(t)} | {num(rate)} | {pct(rate, peak)} | "
            f"{'—' if key == 'kiln' else (num(t / k, 2) + '×' if k else '—')}"
            f" | {'—' if key == 'kiln' else fmt_diff(check)}"
            f" | {'—' if key == 'kiln' else check.get('status', '—')} |")
    peer_ms, peer = fastest_peer(entry)
    if k and peer:
        lines += ["", f"Fastest peer: {side_name(peer, entry['sides'][peer], anchors)}"
                  f" at {ms(peer_ms)} ms; Kiln speedup over it "
                  f"**{peer_ms / k:.2f}×**"
                  + (" (composite form)" if "kiln_primitives" in
                     entry["sides"] else "") + "."]
        prim = entry["sides"].get("kiln_primitives", {}).get("median_ms")
        if prim:
            lines[-1] += (f" Primitives form: **{peer_ms / prim:.2f}×** "
                          f"({ms(prim)} ms).")
    return lines


def fmt_diff(check):
    if "max_abs" not in check:
        return "—"
    return f"{check['max_abs']:.1e} (rel {check.get('max_rel', 0):.1e})"


def scaling(results):
    rows = [e for e in results["workloads"] if "kiln_1_thread" in e]
    if not rows:
        return []
    lines = ["", "## Kiln attention: threads", "",
             "| workload | Kiln 1 thread ms | Kiln N threads ms | N | "
             "speedup (1-thread ms / N-thread ms) |", "|---|---:|---:|---:|---:|"]
    for e in rows:
        one = e["kiln_1_thread"].get("median_ms")
        many = e["sides"].get("kiln", {}).get("median_ms")
        lines.append(f"| {e['title']} | {ms(one)} | {ms(many)} | "
                     f"{e['threads']} | "
                     f"{num(one / many, 2) + '×' if one and many else '—'} |")
    return lines


def gemm_table(results):
    gemm = results.get("gemm")
    if gemm is None:
        return []
    lines = ["", "## GEMM: Kiln `linear` against OpenBLAS sgemm (kiln-bench)",
             "", f"One process, the same data, weights bound once (packed at "
             f"bind time if the compiled library packs them); OpenBLAS "
             f"{gemm.get('openblas', '?')}, cblas_sgemm(RowMajor, NoTrans, "
             f"Trans). {gemm['threads']} thread(s) for both.", ""]
    if gemm.get("skipped"):
        lines += [f"skipped: {gemm['skipped']}", ""]
    if not gemm["rows"]:
        return lines
    peak = peak_at(results, gemm["threads"])
    lines += ["| M×K×N | Kiln ms | Kiln GFLOP/s | % peak | OpenBLAS ms | "
              "OpenBLAS GFLOP/s | Kiln speedup (OpenBLAS ms / Kiln ms) | "
              "max abs diff |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in gemm["rows"]:
        kr = gflops(row["flops"], row["kiln_ms"])
        br = gflops(row["flops"], row["blas_ms"])
        lines.append(
            f"| {row['name'][5:]} | {ms(row['kiln_ms'])} | {num(kr)} | "
            f"{pct(kr, peak)} | {ms(row['blas_ms'])} | {num(br)} | "
            f"{row['blas_ms'] / row['kiln_ms']:.2f}× | "
            f"{row['max_abs_diff']:.1e} |")
    return lines


def memory_table(results):
    mem = results.get("memory")
    if mem is None:
        return []
    lines = ["", "## Kiln attention peak memory (causal, 8 heads, D=64)", "",
             "Max RSS of one `kiln-run` process (getrusage of the child): "
             "the runtime, the model, q, k, v read from .npy and the output. "
             "For scale, one head's T×T fp32 score matrix is T²·4 bytes.",
             ""]
    if mem.get("skipped"):
        lines += [f"skipped: {mem['skipped']}", ""]
    rows = [r for r in mem["rows"] if "max_rss_mib" in r]
    if not mem["rows"]:
        return lines
    lines += ["| T | max RSS MiB | q, k, v, o MiB | RSS − RSS(T="
              f"{rows[0]['T'] if rows else '?'}) MiB | one T×T score matrix "
              "MiB | run s |", "|---:|---:|---:|---:|---:|---:|"]
    for r in mem["rows"]:
        if "max_rss_mib" not in r:
            lines.append(f"| {r['T']} | skipped: {r['skipped']} | | | | |")
            continue
        lines.append(
            f"| {r['T']} | {r['max_rss_mib']:.0f} | {r['tensors_mib']:.0f} | "
            f"{r['max_rss_mib'] - rows[0]['max_rss_mib']:.0f} | "
            f"{r['T'] ** 2 * 4 / 2 ** 20:.0f} | {r['seconds']:.1f} |")
    if len(rows) >= 3:
        a, b = rows[-2:]
        grew = b["max_rss_mib"] - a["max_rss_mib"]
        tensors = b["tensors_mib"] - a["tensors_mib"]
        one_head = (b["T"] ** 2 - a["T"] ** 2) * 4 / 2 ** 20
        # Linear: the growth is that of the tensors (kiln-run may hold two
        # copies of its inputs) plus linear scratch; one quadratic buffer of
        # a single head would add `one_head`.
        linear = grew <= 2 * tensors + 32
        lines += ["", f"From T={a['T']} to T={b['T']} the peak RSS grew by "
                  f"{grew:.0f} MiB while q, k, v, o grew by {tensors:.0f} MiB; "
                  f"one head's T×T scores would add {one_head:.0f} MiB: "
                  + ("**linear in T**." if linear else
                     "**MORE THAN LINEAR in T** (above twice the tensors' "
                     "growth + 32 MiB).")
                  + f" (The first rows sit on kiln-run's start-up peak of "
                  f"about {rows[0]['max_rss_mib']:.0f} MiB.)"]
    return lines


def gpt2_12_table(results):
    big = results.get("gpt2_12")
    if big is None:
        return []
    lines = ["", f"## {big['title']}: compile time and peak memory", "",
             f"{big['layers']} GPT-2 blocks (composite `attention` and `mlp`, "
             f"pre-LN, causal) and a final LayerNorm on hidden states "
             f"x [1, seq, {big['d']}]; no embedding or LM head.", ""]
    if big.get("skipped"):
        return lines + [f"skipped: {big['skipped']}"]
    if "compile_s" in big:
        lines += [f"- `kiln-compile model.json -o model.so`: median "
                  f"**{big['compile_median_s']:.2f} s** of "
                  f"{len(big['compile_s'])} (" + ", ".join(
                      f"{t:.2f}" for t in big["compile_s"]) + " s wall); "
                  "its user + system CPU time (less sensitive to a busy "
                  "machine): median "
                  f"{big.get('compile_cpu_median_s', 0):.2f} s. Issue 7's "
                  "target: ≤ 4 s."]
    if big.get("memory_skipped"):
        lines += [f"- peak memory skipped: {big['memory_skipped']}"]
    elif "max_rss_mib" in big:
        within = big["max_rss_mib"] <= big["target_mib"]
        lines += [
            f"- Max RSS of one `kiln-run` at T={big['T']}, {big['threads']} "
            f"thread(s) (getrusage of the child): **{big['max_rss_mib']:.0f} "
            f"MiB**; it ran {big['run_s']:.1f} s.",
            f"- Weights (fp32, every parameter): {big['weights_mib']:.0f} MiB."
            f" One layer's activations: {big['layer_activations_mib']:.0f} MiB"
            f" = 4 bytes × T × (10·d + hidden) = every tensor one composite "
            f"block produces, once: ln1 (d), qkv (3d), attention out (d), "
            f"proj (d), residual (d), ln2 (d), MLP hidden (hidden = 4d), MLP "
            f"out (d), residual (d) per token (no T×T scores: the attention "
            f"is flash-style); all {big['layers']} layers': "
            f"{big['layers'] * big['layer_activations_mib']:.0f} MiB. Model "
            f"input and output: {big['io_mib']:.0f} MiB.",
            f"- Weights + 2 layers' activations = **{big['target_mib']:.0f} "
            f"MiB**: the peak RSS is "
            + (f"within it ({big['max_rss_mib'] - big['target_mib']:+.0f} "
               "MiB)." if within else
               f"**{big['max_rss_mib'] - big['target_mib']:.0f} MiB above "
               f"it** ({big['max_rss_mib'] / big['target_mib']:.2f}×)."),
        ]
    return lines


def render(results):
    lines = header(results) + summary(results)
    lines += ["", "## Workloads"]
    for entry in results["workloads"]:
        lines += workload_table(results, entry)
    lines += scaling(results) + gemm_table(results) + memory_table(results)
    lines += gpt2_12_table(results)
    if "decode" in results:
        lines += ["", decode.table(results["decode"])]
    return "\n".join(lines) + "\n"
