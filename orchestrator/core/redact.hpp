// Secret redaction: every value registered here is shown as `***` in every output
// (console, logs, reports, JUnit, step summary). The pipeline loader registers the values
// of headers whose names look secret and `${VAR}` values whose names look secret (SPEC
// "Pipeline v1"); other header values are not secrets.
#pragma once

#include <string>
#include <string_view>

namespace orch {

// --- Interface ---

inline constexpr std::string_view k_redacted = "***";

/// Registers `secret` (ignored when shorter than 3 characters: too likely to mangle text).
/// Thread-safe.
void register_secret(std::string_view secret);

/// True when a `${VAR}` named `name` holds a secret: the name contains TOKEN, SECRET,
/// PASSWORD, PASS, KEY, AUTH or CREDENTIAL in any case.
bool is_secret_variable_name(std::string_view name);

/// True when a request header named `name` carries a secret: Authorization,
/// Proxy-Authorization, Cookie, Set-Cookie, or a name containing TOKEN, SECRET, KEY, AUTH,
/// PASSWORD, SESSION or CREDENTIAL, in any case.
bool is_secret_header_name(std::string_view name);

/// True when `text` holds a registered secret (a user-written name that does must be
/// refused: names are never rewritten). Thread-safe.
bool contains_secret(std::string_view text);

/// `text` with every registered secret replaced by `***`. Thread-safe.
std::string redact(std::string_view text);

/// Forgets all secrets (tests only).
void clear_secrets_for_testing();

}  // namespace orch
