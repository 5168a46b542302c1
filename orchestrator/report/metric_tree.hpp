// Flat metric names <-> the nested objects of results.json (SPEC "results.json": keys
// "nested at the dots"). A name is split at its dots until a segment that starts with '/'
// (a JSON pointer, kept whole: "health./database/errors" -> health["/database/errors"]).
// A count that shares its name with a group ("errors" and "errors.timeout") is kept in
// the group as "total"; "errors" is always written that way, so its shape never depends
// on the data. Reading maps every "total" below the top back to its group's name, so no
// metric name may end in ".total" (none of SPEC's names do).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.hpp"
#include "metrics/snapshot.hpp"

namespace orch {

// --- Interface ---

inline constexpr std::string_view k_group_total_key = "total";

/// The object path of a flat metric name: "errors.body.prisma" -> [errors, body, prisma],
/// "health./a.b/c" -> [health, /a.b/c].
std::vector<std::string> metric_path(std::string_view name);

/// Adds `value` under `name` to the object `tree`; a non-finite value is written as null.
void insert_metric(nlohmann::ordered_json& tree, std::string_view name, double value);

/// Adds every number in the object `tree` to `out` as `prefix` + its dotted path (the
/// inverse of insert_metric; `prefix` is "" or ends in a dot: "backend."). Nulls are
/// skipped (no data). `where` names `tree` in error
/// messages ("stages[0].metrics"); any other value is an invalid_input error.
/// `skip_top_key`, when not empty, is a top-level key that is not a metric ("operations").
Result<void> flatten_metrics(const nlohmann::json& tree, const std::string& prefix,
                             const std::string& where, Snapshot& out,
                             std::string_view skip_top_key = {});

/// Sort key that puts request metrics in reading order (requests, rps, success_rate, ...,
/// latencies, timing, then the rest alphabetically); used before inserting into a tree.
std::pair<int, std::string> metric_order_key(std::string_view name);

}  // namespace orch
