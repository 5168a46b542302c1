// What the loader knows of an executor: its name, its own keys of `scenario:` and how to
// read them. The executor plugin owns all of it (plugin/executor.hpp registers it next to
// the executor's factory); the scenario reader only asks, so adding an executor never
// touches config/.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/pipeline.hpp"

namespace orch {

class YamlReader;
class MapReader;

// --- Interface ---

/// What an executor's section reader gets: `scenario:` as a located map, and the reader that
/// records problems with `file:line:column` (config/yaml_reader.hpp).
struct ExecutorSectionInput {
    YamlReader& reader;
    const MapReader& scenario;  ///< get(KEY) gives a value with its key path and position
    /// The pipeline file's folder: relative paths (e.g. a script) are resolved against it.
    const std::filesystem::path& base_dir;
};

/// One executor's part of `scenario:`.
struct ExecutorSection {
    std::string name;  ///< the `scenario.executor` value
    /// The keys of `scenario:` this executor reads, besides the common ones (executor,
    /// think_time, variables, operations). With another executor each is an error naming
    /// this one; a misspelt key gets a did-you-mean over the common and these keys.
    std::vector<std::string> keys;
    /// Keys it cannot do without, with a hint for the "missing" message; checked before
    /// `read` is called. The JSON Schema's `if executor == NAME then required` must list
    /// the same (a unit test compares them).
    std::vector<std::pair<std::string, std::string>> required;
    /// True for an executor that sends `scenario.operations` itself (the builtin engine):
    /// it needs at least one operation and a `path:` on each request. Others (k6, command)
    /// use operations only to name metrics.
    bool sends_operations = false;
    /// True for an executor that reads its responses' headers and can record
    /// `scenario.tag_responses` (per-tag metrics, `METRIC{TAG=VALUE}` criteria). With
    /// another executor the key is an error naming the executors that can.
    bool records_response_tags = false;
    /// True for an executor that runs only its share of a stage under `run --segment I/N`
    /// (ExecutionContext::segment); `--segment` with another executor is INVALID.
    bool splits_stages = false;
    /// Reads `keys` into the executor's typed config; records each problem through
    /// `input.reader` and returns what it could read. Null: no keys, no config.
    std::function<std::shared_ptr<const ExecutorConfig>(const ExecutorSectionInput& input)> read;
};

using ExecutorSections = std::vector<ExecutorSection>;

/// What a loader given no sections knows (the loader's own tests, the fuzzer): only the
/// default executor `builtin`, which sends the operations and has no keys of its own.
const ExecutorSections& default_executor_sections();

}  // namespace orch
