// What `stagegate serve` accepts and how it answers, as pure functions: plain pipeline names,
// the `set` keys and values a caller may send, the constant-time token check, the verdict
// word of a finished run, and the Flagger webhook table (issue 12 item 4). No I/O here, so
// every rule has a unit test (tests/unit/serve/rules_test.cpp).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.hpp"

namespace orch::serve {

// --- Interface ---

/// Checks a pipeline name from a URL or a request body: 1 to 100 characters of
/// `[A-Za-z0-9._-]`, starting with a letter or digit, never `..` (so no `/`, no traversal).
/// Returns the problem in words, or nullopt when the name is plain.
std::optional<std::string> pipeline_name_problem(std::string_view name);

/// Checks a run id from a URL: the form serve gives (`20261203T101500Z-ab12`, letters,
/// digits and `-`, at most 64 characters).
bool plain_run_id(std::string_view id);

/// Turns a request's `set` object into `KEY.PATH=VALUE` texts for `stagegate run --set`.
/// Refused (the message names the key): a value that is not a string, number or boolean; a
/// string value YAML would read as anything but a plain scalar (a flow list or map, an
/// anchor, alias, tag or block); a key outside `[A-Za-z0-9_.[]*-]`; and any key with a
/// segment that can run a program or starts one: `backend`, `hooks`, `executor`,
/// `command`, `script`, `binary`, `env` (issue 12: a caller never chooses a command).
Result<std::vector<std::string>> set_overrides(const nlohmann::json& set);

/// True when `given` equals `expected`, taking the same time whatever their contents
/// (the time depends only on the lengths).
bool tokens_equal(std::string_view given, std::string_view expected);

/// The verdict word of a finished `stagegate run` from its exit status: 0 PASS, 1 FAIL,
/// 4 INCONCLUSIVE, anything else (INVALID 2, ERROR 3, INTERRUPTED 130, a signal) ERROR.
std::string_view verdict_for_exit(int exit_code);

/// The Flagger webhook types serve answers.
enum class FlaggerHook { pre_rollout, rollout, confirm_promotion, rollback, post_rollout, event };

/// `pre-rollout` ... `event` (the words of Flagger's `type`); nullopt for any other word.
std::optional<FlaggerHook> flagger_hook_from_string(std::string_view word);
std::string_view to_string(FlaggerHook hook);

/// What serve knows of the run a Flagger checksum started.
enum class RunState { none, queued, running, passed, failed };

/// One answer: HTTP status and the reason written in the body.
struct FlaggerAnswer {
    int status = 200;
    std::string reason;
};

/// The Flagger table (README "### Flagger"), for every hook but pre-rollout (which starts a
/// run): rollout 200 while the run is queued, running or passed, 422 once it failed, 409
/// without a run; confirm-promotion 200 only when passed, 409 while undecided or without a
/// run, 422 when failed; rollback 200 only when failed (Flagger rolls back on success), else
/// 409; post-rollout and event 200. Never 204; never a status Flagger retries (429, 5xx).
FlaggerAnswer flagger_answer(FlaggerHook hook, RunState state);

/// `ADDR:PORT` of `--listen` (`127.0.0.1:8686`, `[::1]:8686`, `localhost:0`): host and
/// port, or the problem in words.
struct ListenAddress {
    std::string host;
    int port = 0;
};
Result<ListenAddress> parse_listen(std::string_view text);

/// True for 127.0.0.0/8, ::1 and localhost.
bool is_loopback(std::string_view host);

}  // namespace orch::serve
