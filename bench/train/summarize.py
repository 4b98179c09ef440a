"""Summarizes bench/train/run.sh: per side the median tokens/s over repeats (each repeat's figure is
itself the median of its timed steps), the range, peak RSS, and ratios against the PEFT sides.

    python bench/train/summarize.py results.jsonl summary.json
"""
import json
import statistics
import sys


def main(results_path, summary_path):
    rows = [json.loads(line) for line in open(results_path) if line.strip()]
    sides = {}
    for row in rows:
        sides.setdefault(row["result"]["side"], []).append(row)
    summary = {}
    for side, runs in sides.items():
        speeds = [r["result"]["tokens_per_second"] for r in runs]
        summary[side] = dict(
            runs=len(runs), tokens_per_second=statistics.median(speeds), min=min(speeds), max=max(speeds),
            peak_rss_mib=statistics.median(r["result"]["peak_rss_mib"] for r in runs),
            load_average=[r["load_average"] for r in runs])
        for key in ("step_gemm_gflops_per_second", "fraction_of_gemm_peak", "peak_sgemm_gflops_per_second",
                    "peak_bf16_gflops_per_second", "bf16_kernel"):
            values = [r["result"][key] for r in runs if key in r["result"]]
            if values:
                summary[side][key] = values[0] if isinstance(values[0], str) else statistics.median(values)
    peft = {k: v for k, v in summary.items() if k.startswith("peft")}
    best_peft = max(peft.values(), key=lambda v: v["tokens_per_second"], default=None)
    fp32 = summary.get("peft-fp32")
    for side, s in summary.items():
        if best_peft:
            s["speed_vs_best_peft"] = s["tokens_per_second"] / best_peft["tokens_per_second"]
        if fp32:
            s["rss_vs_peft_fp32"] = s["peak_rss_mib"] / fp32["peak_rss_mib"]
    loads = [row["load_average"] for row in rows]
    print(f"{len(rows)} runs, 1-minute load average {min(loads):.1f}–{max(loads):.1f} on "
          f"{open('/proc/cpuinfo').read().count('processor')} cores")
    header = f"{'side':<16} {'tokens/s':>9} {'range':>13} {'× best PEFT':>11} {'peak RSS MiB':>12} {'× PEFT fp32 RSS':>15} {'GEMM GFLOP/s':>12} {'of peak':>7}"
    print(header)
    for side in sorted(summary, key=lambda k: (not k.startswith("peft"), k)):
        s = summary[side]
        print(f"{side:<16} {s['tokens_per_second']:>9.1f} {s['min']:>6.1f}–{s['max']:<6.1f} "
              f"{s.get('speed_vs_best_peft', float('nan')):>11.2f} {s['peak_rss_mib']:>12.0f} "
              f"{s.get('rss_vs_peft_fp32', float('nan')):>15.2f} "
              f"{s.get('step_gemm_gflops_per_second', float('nan')):>12.1f} "
              f"{100 * s.get('fraction_of_gemm_peak', float('nan')):>6.0f}%")
    json.dump(dict(sides=summary, runs=rows), open(summary_path, "w"), indent=1, sort_keys=True)
    print(f"wrote {summary_path}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
