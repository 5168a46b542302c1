// `--set KEY.PATH=VALUE`: edits the pipeline's YAML tree before it is validated, so an
// overridden value is checked exactly like one written in the file.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "config/yaml_reader.hpp"

namespace orch {

// --- Interface ---

/// Applies one `--set` text to `root` (a mapping). KEY.PATH grammar:
///
///   path    := segment { "." segment }
///   segment := key [ "[" ( index | "*" ) "]" ]
///
/// A key applied to a mapping selects (or creates) that key; applied to a list it selects
/// the element whose `name:` is the key (or the element at that index when it is a
/// number). `[N]` selects element N of a list, `[*]` every element. VALUE is read as YAML
/// (a scalar, or a flow list/map such as `[1, 2]`). Problems (malformed text, a stage that
/// does not exist, an index out of range, a path through a scalar) are recorded with file
/// "--set"; every path written is noted so later problems there are attributed to --set.
void apply_override(YAML::Node& root, const std::string& override_text,
                    DiagnosticList& diagnostics);

}  // namespace orch
