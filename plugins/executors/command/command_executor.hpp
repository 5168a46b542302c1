// The `command` executor: runs any load tool (through a small adapter script, e.g.
// plugins/adapters/wrk/) once per stage and reads the stage result it writes
// (schemas/stage-result.schema.json). User guide: plugins/executors/command/README.md.
#pragma once

#include "config/pipeline.hpp"
#include "plugin/executor.hpp"

namespace orch {

// --- Interface ---

/// The factory registered as "command".
///
/// prepare(): finds `scenario.command[0]` (with a slash: a path relative to the pipeline
/// file's folder; else searched in PATH); missing or not executable is an infrastructure
/// error.
///
/// run_stage(): runs `scenario.command` (argv, no shell) in the pipeline file's folder, in
/// its own process group, with the STAGEGATE_* variables of command_env.hpp added to the
/// environment; stdout+stderr go to `<out>/command-<stage>.log`, and the program writes
/// its stage result to STAGEGATE_RESULT_FILE = `<out>/command-<stage>-result.json`.
/// After it exits, the result is checked and replayed into metrics
/// (stage_result_replay.hpp).
/// - Progress: the program reports nothing while it runs, so the observer is called once,
///   at the end, with the whole stage as one interval: abort and windowed criteria act
///   only then.
/// - Stop token: SIGTERM to the process group, SIGKILL 5 s later; a result the program
///   still wrote is used; the stage is `stopped_early`.
/// - A non-zero exit with no result file, a zero exit with no result file, or an invalid
///   result file is an infrastructure error (with the log's last lines as context). A
///   non-zero exit with a valid result is logged and reported in extra.
/// - StageRun::duration_s is the result's duration_s; generator_behind is set when the
///   result reports more than 1% of its scheduled requests as dropped.
/// - StageRun::extra["command"] = {"exit_code", "exit", "result_file", "log",
///   "unmatched_operations", "tool" (the result's tool object, if any)}.
///
/// The command executor for the registry: its `scenario:` key (command_config.hpp) and
/// factory.
ExecutorPlugin command_executor_plugin();

}  // namespace orch
