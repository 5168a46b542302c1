// Verdicts and the exit codes they map to: the one list (SPEC "Exit codes").
#pragma once

#include <optional>
#include <string_view>

namespace orch {

// --- Interface ---

/// A run's or a stage's verdict. `skipped` is for stages only (never run).
enum class Verdict { pass, fail, invalid, error, inconclusive, interrupted, skipped };

inline constexpr int k_exit_pass = 0;
inline constexpr int k_exit_fail = 1;
inline constexpr int k_exit_invalid = 2;
inline constexpr int k_exit_error = 3;
inline constexpr int k_exit_inconclusive = 4;
inline constexpr int k_exit_interrupted = 130;

/// Exit code for a run verdict (skipped never ends a run; it maps to pass).
int exit_code_for(Verdict verdict);

/// "PASS", "FAIL", ... as written in results.json and reports.
std::string_view to_string(Verdict verdict);

/// Inverse of to_string; nullopt for an unknown word.
std::optional<Verdict> verdict_from_string(std::string_view text);

/// Ordering used to combine stage verdicts into a run verdict: the worse wins.
/// interrupted > error > fail > inconclusive > pass > skipped.
int severity_rank(Verdict verdict);

}  // namespace orch
