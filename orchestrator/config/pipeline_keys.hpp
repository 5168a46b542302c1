// The valid keys of each mapping in a pipeline v1 file: one table the loader checks
// against (unknown keys are errors with a did-you-mean) and a unit test compares with
// schemas/pipeline.schema.json, so the two cannot drift apart.
#pragma once

#include <string>
#include <vector>

namespace orch::pipeline_keys {

// --- Interface ---

inline const std::vector<std::string> top_level = {
    "version",  "name",     "target", "backend", "health", "body_patterns",
    "scenario", "defaults", "stages", "hooks",   "metrics"};
inline const std::vector<std::string> target = {"base_url",    "headers",  "timeout", "transport",
                                                "compression", "insecure", "tls"};
inline const std::vector<std::string> tls = {
    "ca_file",     "ca_dir",      "client_cert", "client_key", "client_key_password",
    "server_name", "min_version", "insecure"};
inline const std::vector<std::string> backend = {"command",         "cwd",          "env",
                                                 "startup_timeout", "stop_timeout", "log_max"};
inline const std::vector<std::string> health = {"url",      "expect_status", "expect_json",
                                                "interval", "memory_json",   "startup_timeout"};
/// The keys every scenario has; each executor adds its own (ExecutorSection::keys).
inline const std::vector<std::string> scenario = {"executor", "think_time", "variables",
                                                  "operations", "tag_responses"};
inline const std::vector<std::string> variable = {"random_int", "one_of"};
/// A request: a single operation's keys except weight and steps, and a flow step's keys.
inline const std::vector<std::string> request = {"name",    "method", "path",    "json",   "body",
                                                 "headers", "expect", "capture", "timeout"};
/// An entry of scenario.operations: a request plus weight, or name + weight + steps.
inline const std::vector<std::string> operation = {"name",    "weight",  "method",  "path",
                                                   "json",    "body",    "headers", "expect",
                                                   "capture", "timeout", "steps"};
inline const std::vector<std::string> expect = {"status", "json", "headers", "body_contains",
                                                "body_regex"};
inline const std::vector<std::string> defaults = {"cooldown", "health_check_before_stage",
                                                  "criteria"};
inline const std::vector<std::string> stage = {
    "name",     "vus",       "rate",          "max_vus",  "duration",
    "ramp_up",  "ramp_down", "graceful_stop", "cooldown", "think_time",
    "criteria", "traffic",   "observe",       "target",   "hooks"};
/// `hooks:` at run level and at stage level, and one hook in its map form.
inline const std::vector<std::string> run_hooks = {"before_run", "after_run", "on_fail"};
inline const std::vector<std::string> stage_hooks = {"before", "after", "on_fail"};
inline const std::vector<std::string> hook = {"command", "timeout"};
/// A stage's `target:`: the keys merged over the pipeline's target.
inline const std::vector<std::string> stage_target = {
    "base_url", "headers", "timeout", "transport", "compression", "insecure", "tls"};
inline const std::vector<std::string> metrics = {"prometheus"};
inline const std::vector<std::string> prometheus = {"url", "headers"};
/// The map form of a criterion.
inline const std::vector<std::string> criterion = {"expr", "name", "severity", "abort"};

}  // namespace orch::pipeline_keys
