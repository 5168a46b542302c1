// Reads `scenario:` (executor, variables, weighted operations and flows) and request
// headers, compiling every `{{name}}` template against the scenario's variable names.
// Internal to config/: the loader calls it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/executor_section.hpp"
#include "config/pipeline.hpp"
#include "config/yaml_reader.hpp"

namespace orch {

// --- Interface ---

/// The template variables every scenario has, in slot-index order.
inline const std::vector<std::string> k_builtin_variables = {"uuid", "vu", "iter", "stage"};

/// Words a request name cannot be: they are metric names (SPEC "Criteria").
bool is_reserved_metric_word(std::string_view name);

/// Reads `scenario:` at `at` into `scenario` (variable_names, operations with
/// metric_index in order of appearance). `executors` are the executors it may name: the one
/// named reads its own keys (ExecutorSection::read) with `base_dir` for relative paths.
void read_scenario(YamlReader& reader, const Located& at, const std::filesystem::path& base_dir,
                   const ExecutorSections& executors, Scenario& scenario);

/// Registers a header value as a secret: the whole value, or for a value with `{{name}}`
/// slots each literal part of 8 or more bytes.
void register_header_secret(std::string_view value);

/// Reads a `headers:` map (name -> value template). Every value, after interpolation, is a
/// secret (register_secret); of a value with slots, every literal part of 8 or more bytes.
std::vector<Header> read_headers(YamlReader& reader, const Located& at,
                                 const std::vector<std::string>& variable_names);

}  // namespace orch
