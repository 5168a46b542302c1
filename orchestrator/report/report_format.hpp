// How measured values read in human-facing reports (Markdown, HTML, JUnit messages): one
// place, so every format shows "612.4 ms", "98.21%" and "2.1x better" the same way.
// Plain text only: each reporter escapes the result for its own format.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "criteria/criterion.hpp"
#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

/// `value` rounded to an integer with thousands separators: 12345.6 -> "12,346".
std::string format_count(double value);

/// `value` with at most `decimals` decimals, trailing zeros dropped: 98.2 -> "98.2".
std::string format_trimmed(double value, int decimals);

/// Latency: 3 significant digits below 1 ms ("0.0421 ms", "0.21 ms"), "0 ms" for zero,
/// one decimal below 100 ms
/// ("12.3 ms"), whole milliseconds above ("1,234 ms").
std::string format_ms(double value);

/// `value` rounded to 3 significant digits, trailing zeros dropped: 612.44 -> "612",
/// 0.04217 -> "0.0422", 1790.5 -> "1,790".
std::string format_significant(double value);

/// A latency in milliseconds, 3 significant digits with the unit that fits: "42 µs" below
/// 1 ms, "612 ms" below 1 s, "1.79 s" above (the console and summary sentences).
std::string format_latency(double ms);

/// A value in `unit` at 3 significant digits (latency as format_latency, "86.3%", "50.1/s",
/// "68.8 MB", counts whole).
std::string format_short(double value, MetricUnit unit);

/// How far a criterion's actual value lies from its target, in the criterion's own unit
/// ("362 ms over", "12.7 percentage points short", "826 over"), or "" without data.
std::string format_distance(const CriterionResult& result);

/// Percent with up to 2 decimals: "98.21%", "100%".
std::string format_percent(double value);

/// Requests per second with one decimal: "412.3/s".
std::string format_rate(double value);

/// Megabytes with one decimal: "123.4 MB".
std::string format_megabytes(double value);

/// A value in `unit`, as the functions above write it (count: "12,345"; number: up to 3
/// decimals). Non-finite values read "n/a".
std::string format_value(double value, MetricUnit unit);

/// The optional value, or `missing` ("—") when there is no data.
std::string format_optional(const std::optional<double>& value, MetricUnit unit,
                            std::string_view missing = "\u2014");

/// Seconds as a person reads a duration: "8.5s", "2m 41s", "1h 2m 3s".
std::string format_seconds(double seconds);

/// A criterion's target with its operator: "< 250 ms", "> 99%", "== 0".
std::string format_target(const Criterion& criterion);

/// The measured value of a criterion, or "no data".
std::string format_actual(const CriterionResult& result);

/// "2.1x better", "1.6x worse", "at target", or "—" when there is no margin.
std::string format_margin(const std::optional<double>& margin);

/// PASS, FAIL, WARN (a missed warn criterion) or NO DATA.
std::string_view criterion_status(const CriterionResult& result);

/// The configured load of a stage: "5 VUs for 30s", "200/s (max 200 VUs) for 2m",
/// "observe (no load) for 2m"; with `traffic:` ", traffic 10%" after it.
std::string format_load(const StageReport& stage);

/// One hook that ran, in words: "stage canary-10 before [scripts/set-weight.sh 10]: exit 0
/// in 0.12s"; "run on_fail [...]: timed out after 5s (its process group was stopped) ...".
std::string format_hook(const HookRecord& hook);

}  // namespace orch
