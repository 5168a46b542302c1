// Did-you-mean: the one place that decides whether a mistyped name (a key, an option, a
// verb, a stage, an operation) is close enough to a valid one to suggest it, and how the
// suggestion reads at the end of an error message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace orch {

// --- Interface ---

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// adjacent characters each cost 1, so "rnu" is one step from "run".
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate `word` is a likely typo of, else "": the nearest by edit_distance, within
/// 1 (words up to 4 characters), 2 (up to 8) or 3; among equally near candidates of the
/// word's length, the one whose characters differ least ("p96" -> "p95", not "p90").
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

/// The end of an "unknown NAME" message: ` (did you mean "X"?)` when closest_match finds X,
/// else ` (OTHERWISE)` when `otherwise` is not empty (e.g. "valid keys: a, b"), else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates,
                         std::string_view otherwise = {});

/// `items` separated by ", " (for the lists of valid choices in messages).
std::string join_names(const std::vector<std::string>& items);

}  // namespace orch
