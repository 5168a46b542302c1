// Names the user wrote (the pipeline's name and file, stages, operations, body patterns,
// criteria) are shown as written everywhere, never redacted. So a name that holds the
// value of a secret header or secret ${VAR} is refused when the pipeline is loaded,
// instead of leaking it or rewriting the name in reports. Internal to config/.
#pragma once

#include "config/pipeline.hpp"
#include "config/yaml_reader.hpp"

namespace orch {

// --- Interface ---

/// Adds a diagnostic to `diagnostics` for every user-written name of `pipeline` that
/// contains a registered secret (core/redact.hpp), naming where it is, never the secret.
void check_names_hold_no_secret(const Pipeline& pipeline, DiagnosticList& diagnostics);

}  // namespace orch
