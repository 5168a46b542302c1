// `${VAR}` interpolation of pipeline scalars at load time (SPEC "Pipeline v1"), before any
// type conversion, so `vus: ${VUS:-5}` is a number. Secret-looking variables' values are
// registered for redaction as they are read.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace orch {

// --- Interface ---

/// Looks an environment variable up; nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// `text` with `${NAME}` replaced by the variable's value and `${NAME:-default}` by the value,
/// or by `default` when the variable is unset or empty (as the shell does). `$${` is a
/// literal `${`; any other `$` is literal. NAME is `[A-Za-z_][A-Za-z0-9_]*`.
/// A value taken from the environment for a NAME that is_secret_variable_name() is passed to
/// register_secret (defaults are written in the file, so they are not secrets).
/// Errors (invalid_input) name the variable: `${API_TOKEN} is not set (set it, or give a
/// default: ${API_TOKEN:-value})`, or describe a malformed `${`.
Result<std::string> interpolate(std::string_view text, const EnvLookup& lookup);

/// True when `text` holds a `${` that interpolate() would replace (not `$${`).
bool has_interpolation(std::string_view text);

}  // namespace orch
