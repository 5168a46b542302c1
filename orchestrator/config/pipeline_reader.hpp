// Reads a pipeline v1 document (a YAML mapping) into a Pipeline, section by section,
// recording every problem through the YamlReader. Internal to config/: load_pipeline
// (loader.hpp) is the entry point.
#pragma once

#include <filesystem>

#include "config/executor_section.hpp"
#include "config/pipeline.hpp"
#include "config/yaml_reader.hpp"

namespace orch {

// --- Interface ---

/// Reads `root` into `pipeline` (whose `file` is already set: its stem is the default
/// name). `base_dir` resolves relative `cwd:` and `script:` paths. Returns false when the
/// file is not a pipeline this version reads (a missing mapping or another `version`), so
/// checking the rest would only add noise.
/// `executors` are the executors `scenario.executor` may name.
bool read_pipeline(YamlReader& reader, const Located& root, const std::filesystem::path& base_dir,
                   const ExecutorSections& executors, Pipeline& pipeline);

}  // namespace orch
