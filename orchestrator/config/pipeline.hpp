// The pipeline model: what a pipeline YAML file says, after loading, interpolation and
// validation (config/loader.hpp). Plain structs, no behaviour; defaults are the SPEC's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_box.hpp"
#include "core/units.hpp"
#include "criteria/criterion.hpp"

namespace orch {

// --- Interface ---

/// Position in the pipeline file, 1-based; line 0 when unknown (e.g. set by --set).
struct SourcePos {
    int line = 0;
    int column = 0;
};

/// A request template: literal text with `{{name}}` slots, compiled once at load time.
/// `var` indexes Scenario::variable_names. config/template.hpp compiles and fills them.
struct Template {
    /// How a slot's value is escaped when the template is filled at run time.
    enum class Escaping {
        none,  ///< as is: raw `body:` and header values
        json,  ///< inside a JSON string of a `json:` body: `"` `\` and control characters
               ///< escaped (the quotes around the string are literals of the template)
        url,   ///< `path:` (path and query): every byte outside RFC 3986 unreserved
               ///< (A-Z a-z 0-9 - . _ ~) percent-encoded, so a value cannot add segments
               ///< or query parameters
    };
    struct Segment {
        std::string literal;  ///< used when var < 0
        int var = -1;
        Escaping escaping = Escaping::none;  ///< for a slot (var >= 0)
    };
    std::vector<Segment> segments;
    std::string source;  ///< as written, for messages
    bool is_constant() const {
        return segments.size() <= 1 && (segments.empty() || segments[0].var < 0);
    }
};

enum class Transport { auto_select, curl, lean };

struct Header {
    std::string name;
    Template value;  ///< header values are secrets: shown as *** in every output
};

/// `target.tls`: how HTTPS targets are verified and what the client presents. Paths are
/// absolute (the loader resolves them against the pipeline file's folder) and exist.
struct TlsSpec {
    enum class Version { tls1_2, tls1_3 };
    std::filesystem::path ca_file;      ///< PEM bundle trusted besides the default store
    std::filesystem::path ca_dir;       ///< c_rehash'ed folder trusted besides the default store
    std::filesystem::path client_cert;  ///< PEM chain presented for mTLS (with client_key)
    std::filesystem::path client_key;   ///< PEM key of client_cert
    std::string client_key_password;    ///< the key's passphrase (registered as a secret)
    std::string server_name;            ///< SNI and the name verified; empty: the URL's host
    Version min_version = Version::tls1_2;
    /// True when any setting differs from the defaults (for the k6/command environment).
    bool any() const {
        return !ca_file.empty() || !ca_dir.empty() || !client_cert.empty() ||
               !server_name.empty() || min_version != Version::tls1_2;
    }
};

struct TargetSpec {
    std::string base_url;  ///< no trailing slash
    std::vector<Header> headers;
    Duration timeout = std::chrono::seconds(10);
    Transport transport = Transport::auto_select;
    /// `compression: auto` (true): a compressed answer (Content-Encoding gzip, deflate, br
    /// where libcurl has it) is decoded before expectations, captures and failure samples;
    /// Accept-Encoding is sent only when the pipeline's headers send it. `off` (false):
    /// bodies are taken as they arrive.
    bool decode_compressed = true;
    /// Skip TLS verification (warned about): `target.insecure` or `target.tls.insecure`.
    bool insecure = false;
    TlsSpec tls;
};

struct BackendSpec {
    std::vector<std::string> command;  ///< argv, no shell; command[0] resolved against cwd/PATH
    /// Working directory. The loader resolves a relative `cwd:` against the pipeline file's
    /// folder (and uses that folder when `cwd:` is absent), so this is usable as is.
    std::filesystem::path cwd;
    std::vector<std::pair<std::string, std::string>> env;  ///< added to the inherited environment
    Duration startup_timeout = std::chrono::seconds(30);
    Duration stop_timeout = std::chrono::seconds(10);
    /// backend.log's bound in bytes: past it the log keeps its head and newest tail.
    std::uint64_t log_max = std::uint64_t{64} * 1024 * 1024;
};

struct HealthSpec {
    std::string url = "/health";  ///< relative to base_url, or absolute
    int expect_status = 200;
    std::vector<std::pair<std::string, JsonBox>> expect_json;  ///< JSON pointer -> value
    Duration interval = std::chrono::milliseconds(250);
    std::string memory_json;  ///< JSON pointer to RSS in bytes in the health answer, or empty
    /// Attach mode (no backend): how long to wait for the running service to answer
    /// healthy (launch mode uses backend.startup_timeout).
    Duration startup_timeout = std::chrono::seconds(30);
};

struct BodyPattern {
    std::string name;
    std::string regex;  ///< ECMAScript regex, searched in failed responses' bodies
};

/// A `scenario.variables` entry: drawn once per iteration.
struct VariableSpec {
    enum class Kind { random_int, one_of };
    std::string name;
    Kind kind = Kind::random_int;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::vector<std::string> values;
};

struct Expectation {
    std::vector<int> status;                            ///< allowed statuses; empty: any 2xx or 3xx
    std::vector<std::pair<std::string, JsonBox>> json;  ///< pointer -> expected value
    std::vector<std::pair<std::string, std::string>> headers;  ///< name -> expected value
    std::string body_contains;
    std::string body_regex;
};

/// One HTTP request: a single operation, or one step of a flow. Measured under `name`.
struct RequestSpec {
    std::string name;
    std::uint32_t metric_index = 0;  ///< index into Pipeline::operation_names()
    std::string method = "GET";
    Template path;  ///< appended to base_url; may hold a query; empty only for an operation
                    ///< of a k6/command scenario that just names a metric
    std::optional<Template> body;  ///< JSON text with slots (from `json:`) or raw `body:`
    std::string content_type;      ///< "application/json" for `json:`, else empty
    std::vector<Header> headers;
    Expectation expect;
    std::vector<std::pair<std::string, std::string>> capture;  ///< variable -> JSON pointer
    std::optional<Duration> timeout;
    SourcePos pos;
};

/// A weighted entry of `scenario.operations`: one request, or a flow of steps run in order.
struct OperationSpec {
    std::string name;
    double weight = 1;
    bool is_flow = false;
    std::vector<RequestSpec> steps;  ///< exactly one for a single request
};

/// An executor's own settings (`scenario.script` for k6, `scenario.command` for the command
/// executor...). Each executor plugin derives its typed config from this and reads it from
/// its own keys (config/executor_section.hpp); the core never looks inside.
struct ExecutorConfig {
    virtual ~ExecutorConfig() = default;
};

/// A `scenario.tag_responses` entry: every response is also counted under the value of
/// header `header` (criteria `METRIC{name=VALUE}`, metrics `tags.NAME.VALUE.*`).
struct ResponseTag {
    std::string name;    ///< the tag: letters, digits, _ (not starting with a digit)
    std::string header;  ///< the response header, lower-cased
};

struct Scenario {
    std::string executor = "builtin";
    Duration think_time{0};
    std::vector<VariableSpec> variables;
    /// Every name a template slot may use, in slot-index order: built-ins first
    /// (uuid, vu, iter, stage), then `variables`, then capture targets.
    std::vector<std::string> variable_names;
    std::vector<OperationSpec> operations;
    /// `tag_responses`: tags by response header (the builtin executor records them; the
    /// others refuse the key).
    std::vector<ResponseTag> tag_responses;
    /// What the executor read from its own keys; null for an executor without any.
    std::shared_ptr<const ExecutorConfig> executor_config;
};

/// One criterion as written, with its position (criteria already parsed and checked).
struct CriterionSpec {
    Criterion criterion;
    SourcePos pos;
};

struct RateSpec {
    double from_per_s = 0;
    double to_per_s = 0;  ///< == from for a fixed rate
};

/// The open model's default max_vus: one second of requests at the peak rate (at least 1).
int default_max_vus(const RateSpec& rate);

/// A hook (pipeline `hooks:` or a stage's `hooks:`): a program run at a point of the run,
/// argv only (no shell unless the user writes [sh, -c, ...]), in its own process group,
/// stopped at `timeout` (pipeline/hooks.hpp runs it).
enum class HookKind { before_run, after_run, before, after, on_fail };

struct HookSpec {
    HookKind kind = HookKind::before;
    std::vector<std::string> command;  ///< argv; command[0] resolved like backend.command
    Duration timeout = std::chrono::seconds(60);
    SourcePos pos;
};

/// The YAML key of `kind` ("before_run", "on_fail", ...).
const char* hook_kind_name(HookKind kind);

/// True when a criterion on `metric` can be judged in an observe stage (no synthetic load):
/// backend.* metrics and Prometheus criteria (prom(...)).
bool observable_metric(std::string_view metric);

struct StageSpec {
    std::string name;
    int vus = 0;                   ///< closed model
    std::optional<RateSpec> rate;  ///< open model
    /// Open model: at most this many requests in flight; 0 for the closed model. Default
    /// (max_vus_set false): one second of requests at the peak rate (default_max_vus), which
    /// the builtin executor lowers to what the open-files limit allows.
    int max_vus = 0;
    bool max_vus_set = false;  ///< max_vus was written in the pipeline
    Duration duration{0};
    Duration ramp_up{0};
    Duration ramp_down{0};
    Duration graceful_stop = std::chrono::seconds(5);
    std::optional<Duration> cooldown;     ///< overrides defaults.cooldown
    std::optional<Duration> think_time;   ///< overrides scenario.think_time
    std::vector<CriterionSpec> criteria;  ///< defaults.criteria first, then the stage's own
    SourcePos pos;
    /// `traffic: 10%`: the share of real traffic the new version gets at this step (0..100),
    /// passed to hooks (STAGEGATE_TRAFFIC) and shown in the reports.
    std::optional<double> traffic_percent;
    /// `observe: 2m`: no synthetic load; the stage waits this long, polls health and judges
    /// backend (and Prometheus) criteria only. `duration` equals it.
    std::optional<Duration> observe;
    /// `target:` of the stage: the pipeline's target with the stage's keys merged over it.
    std::optional<TargetSpec> target;
    std::vector<HookSpec> hooks;  ///< before, after, on_fail (at most one each)
};

struct Defaults {
    Duration cooldown{0};
    bool health_check_before_stage = true;
    std::vector<CriterionSpec> criteria;
};

/// `metrics.prometheus`: where prom("PROMQL") criteria are queried (pipeline/prom_judge).
struct PrometheusSpec {
    std::string url;              ///< http(s)://host:port[/prefix], no trailing slash
    std::vector<Header> headers;  ///< sent with every query; constant templates (no slots)
};

struct Pipeline {
    int version = 1;
    std::string name;
    std::filesystem::path file;  ///< as given on the command line
    std::string sha256;          ///< of the file's bytes
    TargetSpec target;
    std::optional<BackendSpec> backend;  ///< absent: attach mode (test a running service)
    std::optional<HealthSpec> health;
    std::vector<BodyPattern> body_patterns;
    Scenario scenario;
    Defaults defaults;
    std::vector<StageSpec> stages;
    std::vector<HookSpec> hooks;  ///< run level: before_run, after_run, on_fail (one each)
    std::optional<PrometheusSpec> prometheus;  ///< `metrics.prometheus`, when configured
    /// `--time-scale` already applied to the stage durations, ramps and cooldowns (1: none).
    double time_scale = 1.0;

    /// Metric operation names: every request (single operations and flow steps), in
    /// RequestSpec::metric_index order.
    std::vector<std::string> operation_names() const;
    std::vector<std::string> body_pattern_names() const;
    /// scenario.tag_responses names, in order.
    std::vector<std::string> tag_names() const;
};

}  // namespace orch
