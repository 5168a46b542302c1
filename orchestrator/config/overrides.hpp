// `--set KEY.PATH=VALUE`: edits the pipeline's YAML tree before it is validated, so an
// overridden value is checked exactly like one written in the file.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "config/yaml_reader.hpp"

namespace orch {

// --- Interface ---

/// Gives every alias (`*name`) in the tree under `root` its own copy of the anchored value,
/// so that editing one place never edits another: yaml-cpp makes `*lat` the very node
/// `&lat` names. The first occurrence (the anchor) keeps its node and positions; later
/// occurrences become copies without positions (diagnostics there fall back to the
/// enclosing key's place). Merge keys (`<<: *base`) are copied the same way. Call before
/// apply_override (the loader does when there are overrides; so should any other editor
/// of a loaded tree, such as a serve API's `set`). `root` should have passed a node budget:
/// the copies are as large as the expanded tree.
void resolve_aliases(YAML::Node& root);

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
