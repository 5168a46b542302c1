// A criterion: `METRIC OP VALUE [over WINDOW]`, parsed and unit-checked against the
// metric, and its evaluation against a Snapshot. Grammar (SPEC "Criteria"):
//
//   criterion := metric op value [ "over" duration ]
//   metric    := [ operation "." ] name          name: see MetricCatalog::describe
//              | "prom(" quoted ")"              PromQL, judged by pipeline/prom_judge
//   op        := "<" | "<=" | ">" | ">=" | "==" | "!="
//   value     := number [ unit ]                  unit: ms s us % KB MB GB /s
//              | relative                         see BaselineFormula
//
// A unit that does not fit the metric, an unknown name, or an operation or body pattern
// the pipeline does not define is an error with a did-you-mean.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/units.hpp"
#include "metrics/snapshot.hpp"

namespace orch {

// --- Interface ---

enum class CompareOp { lt, le, gt, ge, eq, ne };
enum class Severity { fail, warn };

/// The canonical unit a metric's value is kept in.
enum class MetricUnit {
    count,         ///< requests, errors.* , backend.crashes: "" in reports
    per_second,    ///< rps: "/s"
    percent,       ///< success_rate, error_rate, backend.memory_growth: "%"
    milliseconds,  ///< latencies and timing.*: "ms"
    megabytes,     ///< backend.rss_*: "MB"
    number,        ///< backend.health./pointer: a plain number
};

std::string_view to_string(CompareOp op);
std::string_view unit_label(MetricUnit unit);  ///< "", "/s", "%", "ms", "MB", ""

/// What the pipeline defines, so metric names can be checked.
struct MetricCatalog {
    std::vector<std::string> operations;
    std::vector<std::string> body_patterns;
    std::vector<std::string> tags;  ///< scenario tag_responses names (METRIC{TAG=VALUE})
};

/// One term of a baseline-relative target, applied to the baseline value B.
struct BaselineTerm {
    enum class Kind {
        same,     ///< `baseline`: B
        percent,  ///< `baseline + 10%` / `baseline - 5%`: B * (1 + amount / 100)
        offset,   ///< `baseline + 50ms` / `baseline - 2`: B + amount (canonical unit)
        factor,   ///< `baseline * 1.3`: B * amount
        constant  ///< `100ms` inside max()/min(): amount (canonical unit)
    };
    Kind kind = Kind::same;
    double amount = 0;
};

/// A target computed from the baseline run's value of the same metric in the stage of the
/// same name (`stagegate run --baseline RESULTS.json`):
///
///   relative := term | ( "max" | "min" ) "(" term 1*( "," term ) ")"
///   term     := "baseline" [ ( "+" | "-" ) number ( "%" | unit ) | "*" number ]
///             | number [ unit ]                  ; only inside max()/min()
///
/// `%` here is percent of the baseline value (`rps > baseline - 5%` is 95% of it), unlike
/// `success_rate > 99%` where it is the metric's own unit; `success_rate > baseline - 1`
/// is one percentage point. At least one term names `baseline`.
struct BaselineFormula {
    enum class Pick { only, max, min };
    Pick pick = Pick::only;
    std::vector<BaselineTerm> terms;  ///< empty: read back from results.json (target known)

    /// The target for baseline value `baseline`.
    double apply(double baseline) const;
};

struct Criterion {
    std::string expr;    ///< as written, e.g. "send.p95 < 250ms over 10s"
    std::string name;    ///< display name; defaults to expr
    std::string metric;  ///< the Snapshot name, e.g. "send.p95"; `prom("...")` as written
    /// For `prom("QUERY") OP VALUE`: QUERY (PromQL, quotes unescaped), judged against
    /// Prometheus at the stage's end (pipeline/prom_judge.hpp); empty for other criteria.
    /// Its unit is MetricUnit::number: the value is converted to Prometheus' base units
    /// (`1%` is 0.01, `250ms` is 0.25 s, `1KB` is 1024 bytes).
    std::string promql;
    CompareOp op = CompareOp::lt;
    double target = 0;  ///< in the metric's canonical unit
    MetricUnit unit = MetricUnit::count;
    Severity severity = Severity::fail;
    bool abort = false;              ///< checked every second; a breach stops the stage
    std::optional<Duration> window;  ///< "over 10s": must hold in every window
    /// Set when the value is relative to a baseline run; `target` is NaN until
    /// resolve_baseline() computes it.
    std::optional<BaselineFormula> relative;
    std::optional<double> baseline;  ///< the baseline run's value of `metric`, once resolved
    std::string baseline_missing;    ///< why there is no baseline value (for the note)
    /// Where the criterion is written in the pipeline file (1-based); 0 when unknown (set
    /// by --set, or read from a results.json written without it). Annotations, JUnit.
    int line = 0;
    int column = 0;

    /// A criterion over PromQL (`prom("...")`), judged against Prometheus.
    bool is_prom() const { return !promql.empty(); }

    /// A relative criterion whose baseline value is unknown: it fails with "no baseline data".
    bool lacks_baseline() const { return relative && !baseline; }
};

/// Parses `text` (no name/severity/abort: those come from the YAML map form).
/// Errors are invalid_input with a message that names the problem and suggests a fix,
/// e.g. `unknown operation "sned" in "sned.p95" (did you mean "send"?)`.
Result<Criterion> parse_criterion(std::string_view text, const MetricCatalog& catalog);

/// The unit of a metric name (with or without operation prefix), or an error for an
/// unknown one.
Result<MetricUnit> metric_unit(std::string_view metric, const MetricCatalog& catalog);

/// Resolves a relative criterion: with a value, sets `baseline` and computes `target`;
/// with nullopt, leaves it without baseline data, `why` saying what is missing (e.g.
/// `stage "smoke" is not in the baseline run`). A value whose computed target is not finite
/// (1e300 * 1e15) is treated as missing, the note saying so. No effect on an absolute
/// criterion.
void resolve_baseline(Criterion& criterion, std::optional<double> baseline, std::string why);

/// True when `actual OP target` holds (== and != compare within a relative 1e-9; NaN
/// never holds).
bool compare(CompareOp op, double actual, double target);

/// Of two observed values, the one worse for `op` (higher for < <=, lower for > >=,
/// farther from target for ==, closer to it for !=): a windowed criterion's actual is its
/// worst window.
double worse_of(CompareOp op, double target, double a, double b);

struct CriterionResult {
    Criterion criterion;
    std::optional<double> actual;  ///< nullopt: no data
    bool pass = false;             ///< false when there is no data
    /// How many times better (>1) or worse (<1) than the target: target/actual for < <=,
    /// actual/target for > >=; nullopt when either is 0, no data, or for == !=.
    std::optional<double> margin;
    std::string note;  ///< "no data", "worst 10s window at 40s", ...
};

/// Evaluates `criterion` on the stage totals in `snapshot`. A criterion that lacks its
/// baseline value fails with the note "no baseline data: WHY" (its actual is still shown).
CriterionResult evaluate(const Criterion& criterion, const Snapshot& snapshot);

}  // namespace orch
