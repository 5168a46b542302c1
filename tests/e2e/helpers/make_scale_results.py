#!/usr/bin/env python3
"""Writes stagegate.results/v1 files that stress report.html at scale (issue 15):
  ops-1.json     1 operation, 3 stages (the third failed)
  ops-8.json     8 operations, 3 stages
  ops-200.json   200 operations, 3 stages
  stages-60.json 60 stages of 20 s with 5 s cooldowns, 3 operations, ~100k/s rps
  soak-15m.json  one 15-minute stage whose p99 has two spikes 40x the body
Deterministic (no randomness): the same files every time. Usage: make_scale_results.py DIR"""
import json
import math
import os
import sys


def latency(base):
    return {"min": base * 0.3, "avg": base * 1.1, "p50": base, "p75": base * 1.3,
            "p90": base * 1.7, "p95": base * 2.0, "p99": base * 3.0, "p999": base * 4.0,
            "max": base * 5.0}


def request_metrics(requests, duration, errors, base):
    m = {"requests": float(requests), "rps": requests / duration,
         "success_rate": 100.0 * (requests - errors) / requests,
         "error_rate": 100.0 * errors / requests,
         "errors": {"total": float(errors), "status_5xx": float(errors)}}
    m.update(latency(base))
    m["timing"] = {"blocked": 0.02, "connecting": 0.1, "sending": 0.03,
                   "waiting": base * 0.9, "receiving": 0.05}
    return m


def criterion(expr, metric, op, target, unit, actual):
    passed = actual < target if op == "<" else actual > target
    if op == "<":
        margin = target / actual if actual else None
    else:
        margin = actual / target if target else None
    return {"name": expr, "expr": expr, "metric": metric, "op": op, "target": target,
            "unit": unit, "severity": "fail", "abort": False, "window_s": None,
            "actual": actual, "pass": passed, "margin": margin, "note": ""}


def stage(name, ops, duration, rps_total, base, cooldown, fail=False, spikes=(), vus=20):
    total = int(rps_total * duration)
    weights = [1.0 / (i + 1) for i in range(len(ops))]
    wsum = sum(weights)
    metrics = request_metrics(total, duration, total // 50 if fail else 0, base * (3 if fail else 1))
    metrics["operations"] = {}
    for i, op in enumerate(ops):
        n = max(1, int(total * weights[i] / wsum))
        metrics["operations"][op] = request_metrics(n, duration, n // 50 if fail else 0,
                                                    base * (1 + (i % 7) * 0.4) * (3 if fail else 1))
    crit = [criterion("p95 < 250ms", "p95", "<", 250.0, "ms", metrics["p95"]),
            criterion("success_rate > 99%", "success_rate", ">", 99.0, "%",
                      metrics["success_rate"]),
            criterion("error_rate < 1%", "error_rate", "<", 1.0, "%", metrics["error_rate"])]
    if ops:
        o = ops[0]
        crit.append(criterion(o + ".p95 < 300ms", o + ".p95", "<", 300.0, "ms",
                              metrics["operations"][o]["p95"]))
    verdict = "FAIL" if any(not c["pass"] for c in crit) else "PASS"
    series = []
    step = 1 if duration <= 300 else 5
    t = step
    while t <= duration + 1e-9:
        wobble = 1 + 0.1 * math.sin(t / 7.0)
        p50 = base * wobble * (3 if fail else 1)
        point = {"t": float(t), "rps": rps_total * wobble, "errors": 2.0 if fail else 0.0,
                 "p50": p50, "p95": p50 * 2, "p99": p50 * 3, "rss_mb": 60 + t / 60.0, "vus": vus,
                 "operations": {}}
        if any(abs(t - s) < step / 2 for s in spikes):
            point["p99"] = p50 * 120
            point["p95"] = p50 * 40
        for i, op in enumerate(ops[:12]):
            point["operations"][op] = {"rps": rps_total * weights[i] / wsum, "errors": 0.0,
                                       "p50": p50 * (1 + (i % 7) * 0.4),
                                       "p95": p50 * 2 * (1 + (i % 7) * 0.4),
                                       "p99": p50 * 3 * (1 + (i % 7) * 0.4)}
        series.append(point)
        t += step
    return {"name": name, "verdict": verdict,
            "reason": "all criteria met" if verdict == "PASS" else "criteria missed",
            "started_at": "2026-11-27T09:00:00Z", "duration_s": float(duration),
            "load": {"vus": vus, "rate": None, "max_vus": None, "duration_s": float(duration),
                     "mix": {op: round(100 * weights[i] / wsum, 2) for i, op in enumerate(ops)}},
            "operations": ops, "metrics": metrics,
            "backend": {"crashes": 0.0, "health_failures": 0.0, "rss_start": 60.0,
                        "rss_end": 61.0, "rss_peak": 62.0, "memory_growth": 1.7},
            "criteria": crit, "series": series, "series_bucket_s": float(step),
            "cooldown_s": float(cooldown), "health_before": None, "health_after": None,
            "hints": [], "extra": {}}


def run(stages, name):
    verdict = "FAIL" if any(s["verdict"] == "FAIL" for s in stages) else "PASS"
    passed = [s["name"] for s in stages if s["verdict"] == "PASS"]
    return {"schema": "stagegate.results/v1", "verdict": verdict,
            "exit_code": 1 if verdict == "FAIL" else 0,
            "reason": "" if verdict == "PASS" else "a stage failed",
            "pipeline": {"name": name, "file": "pipelines/" + name + ".yaml", "sha256": "0" * 64},
            "run": {"id": name, "started_at": "2026-11-27T09:00:00Z",
                    "finished_at": "2026-11-27T10:00:00Z", "stagegate_version": "0.1.0",
                    "executor": "builtin", "base_url": "http://127.0.0.1:8080"},
            "stages": stages, "highest_passed_stage": passed[-1] if passed else None,
            "backend_log_tail": [], "recommendation": "Fix the failed stage first."}


def three(ops):
    return [stage("smoke", ops, 30, 50, 5, 0), stage("load", ops, 60, 400, 12, 10),
            stage("stress", ops, 60, 900, 40, 10, fail=True)]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {
        "ops-1.json": run(three(["send"]), "ops-1"),
        "ops-8.json": run(three(["op-%d" % i for i in range(8)]), "ops-8"),
        "ops-200.json": run(three(["operation-%03d" % i for i in range(200)]), "ops-200"),
        "stages-60.json": run([stage("step-%02d" % i, ["send", "history", "search"], 20,
                                     2000 * (i + 1), 4 + i * 0.2, 5 if i else 0)
                               for i in range(60)], "stages-60"),
        "soak-15m.json": run([stage("soak", ["send", "history"], 900, 120, 8, 0,
                                    spikes=(300, 640))], "soak-15m"),
    }
    for name, doc in files.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
