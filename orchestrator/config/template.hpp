// `{{name}}` request templates: compiled once when the pipeline is loaded (every slot
// checked against the scenario's variable names), filled per request at run time with
// the escaping the slot's place needs (a JSON string, a URL, or none).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/pipeline.hpp"
#include "core/result.hpp"

namespace orch {

// --- Interface ---

/// Compiles `text`: `{{ name }}` (spaces inside the braces allowed) is a slot for
/// `variable_names[i]`, every slot gets `escaping`; everything else is literal. Adjacent
/// literals are merged. Errors (invalid_input): an unclosed `{{`, an empty slot, a name that
/// is not in `variable_names` (with a did-you-mean, or the list of valid names).
Result<Template> compile_template(std::string_view text,
                                  const std::vector<std::string>& variable_names,
                                  Template::Escaping escaping);

/// Appends `templ` to `out` with each slot replaced by `values[var]` escaped as the slot
/// says. `values` is indexed like Scenario::variable_names; a missing index fills nothing.
void append_filled(const Template& templ, std::span<const std::string> values, std::string& out);

/// `value` escaped for the inside of a JSON string (no quotes added).
void append_json_escaped(std::string_view value, std::string& out);

/// `value` with every byte outside RFC 3986 unreserved characters percent-encoded.
void append_url_escaped(std::string_view value, std::string& out);

}  // namespace orch
