// The pipeline-specific half of the loader: what each top-level section of a pipeline v1
// file may hold, its defaults, and the cross-checks between sections (criteria see the
// operations and body patterns; a stage is either closed or open model).
#include "config/pipeline_reader.hpp"

#include <algorithm>
#include <map>
#include <regex>

#include "config/pipeline_keys.hpp"
#include "config/scenario_reader.hpp"
#include "core/redact.hpp"

namespace orch {

namespace {

constexpr std::size_t k_max_body_patterns = 64;
constexpr std::int64_t k_max_vus = 100'000;
constexpr double k_max_rate = 1e6;
constexpr std::uint64_t k_min_log_max = 4096;  ///< backend.log_max: room for a head and a tail

/// The pipeline-specific sections. Each read_* reads one top-level key.
class PipelineReader {
  public:
    PipelineReader(YamlReader& reader, std::filesystem::path base_dir,
                   const ExecutorSections& executors)
        : m_reader(reader), m_base_dir(std::move(base_dir)), m_executors(executors) {}

    // Returns false when the file is not a pipeline this version reads (the other problems
    // would be noise).
    bool read(const Located& root, Pipeline& pipeline) {
        MapReader map(m_reader, root, pipeline_keys::top_level);
        if (!map.ok()) {
            return false;
        }
        if (!read_version(map, pipeline)) {
            return false;
        }
        if (auto v = map.get("name")) {
            if (auto name = m_reader.non_empty_text(*v)) {
                pipeline.name = *name;
            }
        } else {
            pipeline.name = pipeline.file.stem().string();
        }
        if (auto v = map.get("body_patterns")) {
            read_body_patterns(*v, pipeline);
        }
        if (auto v = map.required("scenario", "what the load does: operations to send")) {
            read_scenario(m_reader, *v, m_base_dir, m_executors, pipeline.scenario);
        }
        if (auto v = map.required("target", "target: { base_url: http://127.0.0.1:8080 }")) {
            read_target(*v, pipeline);
        }
        if (auto v = map.get("backend")) {
            read_backend(*v, pipeline);
        }
        if (auto v = map.get("health")) {
            read_health(*v, pipeline);
        }
        if (auto v = map.get("metrics")) {
            read_metrics(*v, pipeline);
        }
        m_catalog = MetricCatalog{pipeline.operation_names(), pipeline.body_pattern_names(),
                                  pipeline.tag_names()};
        if (auto v = map.get("defaults")) {
            read_defaults(*v, pipeline);
        }
        if (auto v = map.required("stages",
                                  "a list of stages, e.g. - {name: smoke, vus: 5, "
                                  "duration: 30s}")) {
            read_stages(*v, pipeline);
        }
        if (auto v = map.get("hooks")) {
            pipeline.hooks = read_hooks(*v, pipeline_keys::run_hooks);
        }
        return true;
    }

  private:
    bool read_version(MapReader& map, Pipeline& pipeline) {
        auto v = map.required("version", "a pipeline starts with version: 1");
        if (!v) {
            return true;  // reported; still check the rest as version 1
        }
        auto text = m_reader.text(*v);
        if (!text) {
            return true;
        }
        if (*text == "1") {
            pipeline.version = 1;
            return true;
        }
        static const std::regex k_number("[0-9]+(\\.[0-9]+)?");
        if (text->size() <= 20 && std::regex_match(*text, k_number)) {
            m_reader.error(
                *v, "unsupported pipeline version " + *text + " (this stagegate reads version 1)");
        } else {
            m_reader.error(
                *v, "\"" + *text + "\" is not a pipeline version (this stagegate reads version 1)");
        }
        return false;
    }

    void read_body_patterns(const Located& at, Pipeline& pipeline) {
        MapReader map(m_reader, at, std::vector<std::string>{});
        if (map.entries().size() > k_max_body_patterns) {
            m_reader.error(at,
                           "more than " + std::to_string(k_max_body_patterns) + " body patterns");
            return;
        }
        // A map keyed by user-chosen names reads as the pipeline's other such maps (body
        // patterns, tag_responses, capture): check the name, then the value; each has its own
        // name grammar and message, so the loops stay where their rules are.
        static const std::regex k_name("[A-Za-z_][A-Za-z0-9_-]*");
        for (const auto& entry : map.entries()) {
            if (entry.key.size() > 100 || !std::regex_match(entry.key, k_name)) {
                m_reader.error(entry.key_node, "\"" + entry.key +
                                                   "\" is not a valid pattern name (letters, "
                                                   "digits, _ and -)");
                continue;
            }
            auto regex = m_reader.non_empty_text(entry.value);
            if (!regex) {
                continue;
            }
            if (regex->size() > 1000) {
                m_reader.error(entry.value, "regex is longer than 1000 characters");
                continue;
            }
            try {
                std::regex compiled(*regex, std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                m_reader.error(entry.value,
                               "\"" + *regex + "\" is not a valid regex (ECMAScript): " + e.what());
                continue;
            }
            pipeline.body_patterns.push_back(BodyPattern{entry.key, *regex});
        }
    }

    void read_target(const Located& at, Pipeline& pipeline) {
        MapReader map(m_reader, at, pipeline_keys::target);
        if (!map.ok()) {
            return;
        }
        read_target_keys(map, pipeline, pipeline.target, true);
    }

    // The keys a pipeline's target and a stage's target share; a stage's target starts
    // from a copy of the pipeline's and needs no base_url.
    void read_target_keys(MapReader& map, Pipeline& pipeline, TargetSpec& target,
                          bool base_url_required) {
        std::optional<Located> base_url =
            base_url_required ? map.required("base_url", "e.g. base_url: http://127.0.0.1:8080")
                              : map.get("base_url");
        if (auto v = base_url) {
            if (auto url = m_reader.non_empty_text(*v)) {
                if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
                    m_reader.error(*v, "\"" + *url + "\" does not start with http:// or https://");
                } else if (url->find_first_of(" \t\r\n") != std::string::npos) {
                    m_reader.error(*v, "\"" + *url + "\" holds a space");
                } else {
                    std::string trimmed = *url;
                    while (!trimmed.empty() && trimmed.back() == '/') {
                        trimmed.pop_back();
                    }
                    target.base_url = trimmed;
                }
            }
        }
        if (auto v = map.get("headers")) {
            target.headers = read_headers(m_reader, *v, pipeline.scenario.variable_names);
        }
        if (auto v = map.get("timeout")) {
            if (auto d = m_reader.duration(*v, true)) {
                target.timeout = *d;
            }
        }
        if (auto v = map.get("transport")) {
            if (auto transport = m_reader.choice(*v, {"auto", "curl", "lean"})) {
                target.transport = *transport == "curl"   ? Transport::curl
                                   : *transport == "lean" ? Transport::lean
                                                          : Transport::auto_select;
            }
        }
        if (auto v = map.get("compression")) {
            if (auto compression = m_reader.choice(*v, {"auto", "off"})) {
                target.decode_compressed = *compression == "auto";
            }
        }
        if (auto v = map.get("insecure")) {
            if (auto insecure = m_reader.boolean(*v)) {
                target.insecure = *insecure;
            }
        }
        if (auto v = map.get("tls")) {
            read_tls(*v, target);
        }
    }

    /// `target.tls`: files resolved against the pipeline's folder and checked to exist;
    /// client_cert and client_key only together; the key's passphrase is a secret.
    void read_tls(const Located& at, TargetSpec& target) {
        MapReader map(m_reader, at, pipeline_keys::tls);
        if (!map.ok()) {
            return;
        }
        TlsSpec& tls = target.tls;
        auto path = [&](std::string_view key, bool folder) -> std::optional<Located> {
            auto v = map.get(key);
            if (!v) {
                return std::nullopt;
            }
            auto text = m_reader.non_empty_text(*v);
            if (!text) {
                return std::nullopt;
            }
            std::filesystem::path resolved = resolve_relative(m_base_dir, *text);
            std::error_code ec;
            auto status = std::filesystem::status(resolved, ec);
            if (!std::filesystem::exists(status)) {
                m_reader.error(*v, "\"" + *text + "\": no such " + (folder ? "folder" : "file") +
                                       " (" + resolved.string() + "); paths are relative to " +
                                       "the pipeline file's folder");
            } else if (folder != std::filesystem::is_directory(status)) {
                m_reader.error(*v, "\"" + *text + "\" is " +
                                       (folder ? "not a folder (ca_file takes a PEM bundle)"
                                               : "a folder, not a PEM file (ca_dir takes a "
                                                 "folder)"));
            } else {
                (key == "ca_file"       ? tls.ca_file
                 : key == "ca_dir"      ? tls.ca_dir
                 : key == "client_cert" ? tls.client_cert
                                        : tls.client_key) = resolved;
            }
            return v;
        };
        path("ca_file", false);
        path("ca_dir", true);
        auto cert = path("client_cert", false);
        auto key = path("client_key", false);
        if (key && !cert) {
            m_reader.error(*key,
                           "client_key without client_cert: add client_cert (the PEM "
                           "certificate that goes with this key)");
        }
        if (cert && !key) {
            m_reader.error(*cert,
                           "client_cert without client_key: add client_key (the PEM "
                           "private key of this certificate)");
        }
        if (auto v = map.get("client_key_password")) {
            if (auto password = m_reader.text(*v)) {
                if (!key) {
                    m_reader.error(*v, "client_key_password without client_key");
                }
                tls.client_key_password = *password;
                register_secret(*password);
            }
        }
        if (auto v = map.get("server_name")) {
            if (auto name = m_reader.non_empty_text(*v)) {
                if (name->find_first_of(" \t\r\n/:") != std::string::npos) {
                    m_reader.error(*v, "\"" + *name +
                                           "\" is not a host name (no scheme, port or path: "
                                           "e.g. server_name: api.internal)");
                } else {
                    tls.server_name = *name;
                }
            }
        }
        if (auto v = map.get("min_version")) {
            if (auto version = m_reader.choice(*v, {"1.2", "1.3"})) {
                tls.min_version =
                    *version == "1.3" ? TlsSpec::Version::tls1_3 : TlsSpec::Version::tls1_2;
            }
        }
        if (auto v = map.get("insecure")) {
            if (auto insecure = m_reader.boolean(*v)) {
                target.insecure = target.insecure || *insecure;
            }
        }
    }

    void read_backend(const Located& at, Pipeline& pipeline) {
        MapReader map(m_reader, at, pipeline_keys::backend);
        if (!map.ok()) {
            return;
        }
        BackendSpec backend;
        backend.cwd = m_base_dir;
        if (auto v = map.required("command", "argv of the backend, e.g. command: [./server]")) {
            if (auto command = m_reader.string_list(
                    *v, "command is an argv list, not a shell line: [prog, arg]")) {
                if (command->empty()) {
                    m_reader.error(*v, "is empty (give the program and its arguments)");
                } else if (command->front().empty()) {
                    m_reader.error(*v, "the program name is empty");
                } else {
                    backend.command = *command;
                }
            }
        }
        if (auto v = map.get("cwd")) {
            if (auto cwd = m_reader.non_empty_text(*v)) {
                backend.cwd = resolve_relative(m_base_dir, *cwd);
            }
        }
        if (auto v = map.get("env")) {
            MapReader env(m_reader, *v, std::vector<std::string>{});
            for (const auto& entry : env.entries()) {
                if (entry.key.empty() || entry.key.find('=') != std::string::npos) {
                    m_reader.error(entry.key_node,
                                   "\"" + entry.key + "\" is not an environment variable name");
                    continue;
                }
                if (entry.value.node.IsNull()) {
                    m_reader.error(entry.value, "needs a value (write \"\" for an empty one)");
                    continue;
                }
                if (auto value = m_reader.text(entry.value)) {
                    backend.env.emplace_back(entry.key, *value);
                }
            }
        }
        if (auto v = map.get("startup_timeout")) {
            if (auto d = m_reader.duration(*v, true)) {
                backend.startup_timeout = *d;
            }
        }
        if (auto v = map.get("stop_timeout")) {
            if (auto d = m_reader.duration(*v, true)) {
                backend.stop_timeout = *d;
            }
        }
        if (auto v = map.get("log_max")) {
            if (!v->node.IsScalar()) {
                m_reader.error(
                    *v, "expected a size such as 64MiB, got " + std::string(kind_name(v->node)));
            } else if (auto text = m_reader.text(*v)) {
                auto size = parse_size(*text);
                if (!size) {
                    m_reader.error(*v, size.error().message);
                } else if (*size < k_min_log_max) {
                    m_reader.error(*v, "\"" + *text +
                                           "\" is too small to keep a head and a tail (at "
                                           "least 4KiB)");
                } else {
                    backend.log_max = *size;
                }
            }
        }
        pipeline.backend = std::move(backend);
    }

    // Every section reader opens its MapReader and returns on a non-map the same way (the
    // MapReader protocol), and ends by storing what it read.
    void read_health(const Located& at, Pipeline& pipeline) {
        MapReader map(m_reader, at, pipeline_keys::health);
        if (!map.ok()) {
            return;
        }
        HealthSpec health;
        if (auto v = map.get("url")) {
            if (auto url = m_reader.non_empty_text(*v)) {
                if ((*url)[0] != '/' && url->rfind("http://", 0) != 0 &&
                    url->rfind("https://", 0) != 0) {
                    m_reader.error(
                        *v, "\"" + *url + "\" is neither a path (/health) nor an http(s):// URL");
                } else {
                    health.url = *url;
                }
            }
        }
        if (auto v = map.get("expect_status")) {
            if (auto status = m_reader.integer(*v, 100, 599)) {
                health.expect_status = static_cast<int>(*status);
            }
        }
        if (auto v = map.get("expect_json")) {
            health.expect_json = json_pointer_map(m_reader, *v);
        }
        if (auto v = map.get("interval")) {
            if (auto d = m_reader.duration(*v, true)) {
                health.interval = *d;
            }
        }
        if (auto v = map.get("memory_json")) {
            if (auto pointer = m_reader.non_empty_text(*v)) {
                if ((*pointer)[0] != '/') {
                    m_reader.error(*v, "\"" + *pointer +
                                           "\" is not a JSON pointer (it starts with /, e.g. "
                                           "/memory/rss)");
                } else {
                    health.memory_json = *pointer;
                }
            }
        }
        if (auto v = map.get("startup_timeout")) {
            if (pipeline.backend) {
                m_reader.error(*v,
                               "is attach mode's wait (no backend:); with a backend: block, "
                               "set backend.startup_timeout instead");
            } else if (auto d = m_reader.duration(*v, true)) {
                health.startup_timeout = *d;
            }
        }
        pipeline.health = std::move(health);
    }

    // metrics: { prometheus: { url, headers } }: where prom("...") criteria are queried.
    void read_metrics(const Located& at, Pipeline& pipeline) {
        MapReader map(m_reader, at, pipeline_keys::metrics);
        if (!map.ok()) {
            return;
        }
        auto v = map.required("prometheus",
                              "e.g. metrics: { prometheus: { url: http://127.0.0.1:9090 } }");
        if (!v) {
            return;
        }
        // Set even when the block has problems: they are reported once, here, not again at
        // every prom(...) criterion.
        m_has_prometheus = true;
        MapReader prom(m_reader, *v, pipeline_keys::prometheus);
        if (!prom.ok()) {
            return;
        }
        PrometheusSpec spec;
        if (auto u = prom.required("url", "e.g. url: http://127.0.0.1:9090")) {
            if (auto url = m_reader.non_empty_text(*u)) {
                if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
                    m_reader.error(*u, "\"" + *url +
                                           "\" does not start with http:// or https:// (e.g. "
                                           "http://127.0.0.1:9090)");
                } else if (url->find_first_of(" \t\r\n?#") != std::string::npos) {
                    m_reader.error(*u, "\"" + *url +
                                           "\" holds a space, ? or #: give Prometheus' base "
                                           "URL (the /api/v1/... paths are added)");
                } else {
                    spec.url = *url;
                    while (!spec.url.empty() && spec.url.back() == '/') {
                        spec.url.pop_back();
                    }
                }
            }
        }
        if (auto h = prom.get("headers")) {
            spec.headers = read_headers(m_reader, *h, {});
        }
        pipeline.prometheus = std::move(spec);
    }

    void read_defaults(const Located& at, Pipeline& pipeline) {
        MapReader map(m_reader, at, pipeline_keys::defaults);
        if (!map.ok()) {
            return;
        }
        if (auto v = map.get("cooldown")) {
            if (auto d = m_reader.duration(*v, false)) {
                pipeline.defaults.cooldown = *d;
            }
        }
        if (auto v = map.get("health_check_before_stage")) {
            if (auto check = m_reader.boolean(*v)) {
                pipeline.defaults.health_check_before_stage = *check;
            }
        }
        if (auto v = map.get("criteria")) {
            pipeline.defaults.criteria = read_criteria(*v);
        }
    }

    std::vector<CriterionSpec> read_criteria(const Located& at) {
        std::vector<CriterionSpec> out;
        auto items = m_reader.sequence(at);
        if (!items) {
            return out;
        }
        for (const auto& item : *items) {
            if (auto criterion = read_criterion(item)) {
                out.push_back(std::move(*criterion));
            }
        }
        return out;
    }

    std::optional<CriterionSpec> read_criterion(const Located& at) {
        Located expr_at = at;
        std::optional<std::string> name;
        Severity severity = Severity::fail;
        bool abort = false;
        bool ok = true;
        if (at.node.IsMap()) {
            MapReader map(m_reader, at, pipeline_keys::criterion);
            auto expr = map.required("expr", "e.g. expr: \"send.p95 < 250ms\"");
            if (!expr) {
                return std::nullopt;
            }
            expr_at = *expr;
            if (auto v = map.get("name")) {
                name = m_reader.non_empty_text(*v);
                ok = ok && name.has_value();
            }
            if (auto v = map.get("severity")) {
                auto text = m_reader.choice(*v, {"fail", "warn"});
                ok = ok && text.has_value();
                severity = text && *text == "warn" ? Severity::warn : Severity::fail;
            }
            if (auto v = map.get("abort")) {
                auto value = m_reader.boolean(*v);
                ok = ok && value.has_value();
                abort = value.value_or(false);
            }
        } else if (!at.node.IsScalar()) {
            m_reader.error(at,
                           "expected a criterion such as \"p95 < 250ms\" or {expr: ..., "
                           "severity: warn}, got " +
                               std::string(kind_name(at.node)));
            return std::nullopt;
        }
        auto text = m_reader.non_empty_text(expr_at);
        if (!text) {
            return std::nullopt;
        }
        auto parsed = parse_criterion(*text, m_catalog);
        if (!parsed) {
            m_reader.error(expr_at, parsed.error().message);
            return std::nullopt;
        }
        if (parsed->is_prom() && !m_has_prometheus) {
            m_reader.error(expr_at, "\"" + parsed->metric +
                                        "\" needs a Prometheus to ask: add metrics: { "
                                        "prometheus: { url: http://127.0.0.1:9090 } }");
            return std::nullopt;
        }
        if (parsed->is_prom() && abort) {
            m_reader.error(at, "abort: true does not fit \"" + parsed->metric +
                                   "\": prom(...) criteria are judged once, at the stage's "
                                   "end (remove abort)");
            return std::nullopt;
        }
        if (!ok) {
            return std::nullopt;
        }
        Criterion criterion = std::move(*parsed);
        criterion.expr = *text;
        criterion.name = name.value_or(*text);
        criterion.severity = severity;
        criterion.abort = abort;
        criterion.line = at.pos.line;
        criterion.column = at.pos.column;
        return CriterionSpec{std::move(criterion), at.pos};
    }

    void read_stages(const Located& at, Pipeline& pipeline) {
        auto items = m_reader.sequence(at);
        if (!items) {
            return;
        }
        if (items->empty()) {
            m_reader.error(at, "is empty (give at least one stage)");
            return;
        }
        std::map<std::string, int> names;
        for (const auto& item : *items) {
            MapReader map(m_reader, item, pipeline_keys::stage);
            if (!map.ok()) {
                continue;
            }
            StageSpec stage;
            stage.pos = item.pos;
            if (auto v = map.required("name", "e.g. name: smoke")) {
                if (auto name = read_stage_name(*v, names)) {
                    stage.name = *name;
                }
            }
            if (auto observe = map.get("observe")) {
                read_observe(map, *observe, stage);
            } else {
                read_load(map, stage);
                if (auto v = map.required("duration", "e.g. duration: 30s")) {
                    if (auto d = m_reader.duration(*v, true)) {
                        stage.duration = *d;
                    }
                }
            }
            if (auto v = map.get("traffic")) {
                stage.traffic_percent = read_traffic(*v);
            }
            if (auto v = map.get("target")) {
                MapReader target_map(m_reader, *v, pipeline_keys::stage_target);
                if (target_map.ok()) {
                    TargetSpec target = pipeline.target;
                    read_target_keys(target_map, pipeline, target, false);
                    stage.target = std::move(target);
                }
            }
            if (auto v = map.get("hooks")) {
                stage.hooks = read_hooks(*v, pipeline_keys::stage_hooks);
            }
            auto read_duration = [&](const char* key, auto& field) {
                if (auto v = map.get(key)) {
                    if (auto d = m_reader.duration(*v, false)) {
                        field = *d;
                    }
                }
            };
            read_duration("ramp_up", stage.ramp_up);
            read_duration("ramp_down", stage.ramp_down);
            read_duration("graceful_stop", stage.graceful_stop);
            read_duration("cooldown", stage.cooldown);
            read_duration("think_time", stage.think_time);
            if (auto up = map.get("ramp_up"); !stage.rate && stage.duration.count() > 0 &&
                                              stage.ramp_up + stage.ramp_down > stage.duration) {
                // The ramps are inside the duration: longer ramps would never reach the
                // load the table shows.
                auto down = map.get("ramp_down");
                m_reader.error(up ? *up : *down,
                               "ramp_up " + format_duration(stage.ramp_up) + " + ramp_down " +
                                   format_duration(stage.ramp_down) + " is longer than duration " +
                                   format_duration(stage.duration) +
                                   " (the ramps are part of the duration: shorten them, or "
                                   "scale every duration with --time-scale)");
            }
            if (stage.rate) {
                for (const char* key : {"ramp_up", "ramp_down"}) {
                    if (auto v = map.get(key)) {
                        m_reader.error(*v, std::string(key) +
                                               " is for the closed model (vus:); ramp an open "
                                               "model with rate: 50/s..500/s");
                    }
                }
            }
            stage.criteria = pipeline.defaults.criteria;
            if (stage.observe) {
                // defaults.criteria that measure the load do not apply where there is none.
                std::erase_if(stage.criteria, [](const CriterionSpec& c) {
                    return !observable_metric(c.criterion.metric);
                });
            }
            if (auto v = map.get("criteria")) {
                for (auto& criterion : read_criteria(*v)) {
                    if (stage.observe && !observable_metric(criterion.criterion.metric)) {
                        m_reader.error(criterion.pos, child_path(map.path(), "criteria"),
                                       "\"" + criterion.criterion.expr +
                                           "\" measures synthetic load, and an observe stage "
                                           "sends none: judge backend.* (or prom(...)) metrics "
                                           "here, or give the stage vus/rate and a duration");
                        continue;
                    }
                    stage.criteria.push_back(std::move(criterion));
                }
            }
            pipeline.stages.push_back(std::move(stage));
        }
    }

    // `observe: 2m`: a stage without synthetic load; no load key may stand beside it.
    void read_observe(MapReader& map, const Located& at, StageSpec& stage) {
        for (const char* key : {"vus", "rate", "max_vus", "duration", "ramp_up", "ramp_down",
                                "graceful_stop", "think_time"}) {
            if (auto v = map.get(key)) {
                m_reader.error(*v, std::string(key) +
                                       " describes synthetic load, and an observe stage sends "
                                       "none (observe: is how long it watches): remove " +
                                       key + ", or remove observe");
            }
        }
        if (auto d = m_reader.duration(at, true)) {
            stage.observe = *d;
            stage.duration = *d;
        }
    }

    // `traffic: 10%`: a percentage from 0% to 100%.
    std::optional<double> read_traffic(const Located& at) {
        auto text = m_reader.non_empty_text(at);
        if (!text) {
            return std::nullopt;
        }
        static const std::regex k_percent(R"(([0-9]+(\.[0-9]+)?)%)");
        std::smatch match;
        std::string value = trimmed(*text);
        if (!std::regex_match(value, match, k_percent) || match[1].str().size() > 12) {
            m_reader.error(at, "\"" + *text +
                                   "\" is not a traffic share (write a percentage from 0% to "
                                   "100%, e.g. traffic: 10%)");
            return std::nullopt;
        }
        double percent = std::stod(match[1].str());
        if (percent > 100) {
            m_reader.error(at, "\"" + *text + "\" is more than 100% (a share of the traffic)");
            return std::nullopt;
        }
        return percent;
    }

    // `hooks:` at run level (`level` = run_hooks) or stage level (stage_hooks). Each entry
    // is an argv list or {command: [...], timeout: 60s}.
    std::vector<HookSpec> read_hooks(const Located& at, const std::vector<std::string>& level) {
        std::vector<HookSpec> hooks;
        const bool run_level = &level == &pipeline_keys::run_hooks;
        std::vector<std::string> every_kind = pipeline_keys::run_hooks;
        every_kind.insert(every_kind.end(), pipeline_keys::stage_hooks.begin(),
                          pipeline_keys::stage_hooks.end());
        MapReader map(m_reader, at, every_kind);
        if (!map.ok()) {
            return hooks;
        }
        for (const auto& entry : map.entries()) {
            if (std::find(level.begin(), level.end(), entry.key) == level.end()) {
                m_reader.error(entry.key_node,
                               run_level ? "\"" + entry.key +
                                               "\" is a stage hook (stages[].hooks); the run's "
                                               "hooks are before_run, after_run and on_fail"
                                         : "\"" + entry.key +
                                               "\" is a run hook (top-level hooks:); a stage's "
                                               "hooks are before, after and on_fail");
                continue;
            }
            HookSpec hook;
            hook.kind = entry.key == "before_run"  ? HookKind::before_run
                        : entry.key == "after_run" ? HookKind::after_run
                        : entry.key == "before"    ? HookKind::before
                        : entry.key == "after"     ? HookKind::after
                                                   : HookKind::on_fail;
            hook.pos = entry.value.pos;
            Located command_at = entry.value;
            if (entry.value.node.IsMap()) {
                MapReader hook_map(m_reader, entry.value, pipeline_keys::hook);
                if (!hook_map.ok()) {
                    continue;
                }
                if (auto v = hook_map.get("timeout")) {
                    if (auto d = m_reader.duration(*v, true)) {
                        hook.timeout = *d;
                    } else {
                        continue;
                    }
                }
                auto command = hook_map.required("command", "e.g. command: [scripts/rollback.sh]");
                if (!command) {
                    continue;
                }
                command_at = *command;
            }
            auto argv =
                m_reader.string_list(command_at,
                                     "a hook is an argv list, not a shell line: [prog, arg] (for a "
                                     "shell, write [sh, -c, \"...\"])");
            if (!argv) {
                continue;
            }
            if (argv->empty()) {
                m_reader.error(command_at, "is empty (give the program and its arguments)");
                continue;
            }
            if (argv->front().empty()) {
                m_reader.error(command_at, "the program name is empty");
                continue;
            }
            hook.command = std::move(*argv);
            hooks.push_back(std::move(hook));
        }
        return hooks;
    }

    std::optional<std::string> read_stage_name(const Located& at,
                                               std::map<std::string, int>& names) {
        auto name = m_reader.non_empty_text(at);
        if (!name) {
            return std::nullopt;
        }
        static const std::regex k_stage_name("[A-Za-z0-9_.-]+");
        if (name->size() > 100 || !std::regex_match(*name, k_stage_name)) {
            m_reader.error(
                at, "\"" + *name + "\" is not a valid stage name (letters, digits, _ . and -)");
            return std::nullopt;
        }
        auto [it, inserted] = names.emplace(*name, at.pos.line);
        if (!inserted) {
            m_reader.error(at, "duplicate stage name \"" + *name + "\" (first on line " +
                                   std::to_string(it->second) + ")");
            return std::nullopt;
        }
        return name;
    }

    // vus (closed model) or rate + max_vus (open model): exactly one of the two.
    void read_load(MapReader& map, StageSpec& stage) {
        auto vus = map.get("vus");
        auto rate = map.get("rate");
        auto max_vus = map.get("max_vus");
        if (vus && rate) {
            m_reader.error(*rate, "give vus (closed model) or rate (open model), not both");
            return;
        }
        if (!vus && !rate) {
            if (map.has_unknown_keys()) {
                return;  // most likely a misspelt vus or rate, already reported
            }
            m_reader.error(map.pos(), map.path(),
                           "needs vus: N (closed model: N virtual users) or rate: N/s (open "
                           "model: N requests per second)");
            return;
        }
        if (vus) {
            if (auto n = m_reader.integer(*vus, 1, k_max_vus)) {
                stage.vus = static_cast<int>(*n);
            }
            if (max_vus) {
                m_reader.error(*max_vus,
                               "max_vus is for the open model (rate:); with vus the "
                               "number of users is fixed");
            }
            return;
        }
        if (auto parsed = read_rate(*rate)) {
            stage.rate = *parsed;
            stage.max_vus = default_max_vus(*parsed);
        }
        if (max_vus) {
            if (auto n = m_reader.integer(*max_vus, 1, k_max_vus)) {
                stage.max_vus = static_cast<int>(*n);
                stage.max_vus_set = true;
            }
        }
    }

    // "200/s" or "50/s..500/s".
    std::optional<RateSpec> read_rate(const Located& at) {
        auto text = m_reader.non_empty_text(at);
        if (!text) {
            return std::nullopt;
        }
        static const std::regex k_number(R"(\s*([0-9]+(\.[0-9]+)?)\s*)");
        static const std::regex k_one(R"(([0-9]+(\.[0-9]+)?)/([A-Za-z]+))");
        static const std::regex k_spaced(R"(\s*([0-9]+(\.[0-9]+)?)\s*/\s*([A-Za-z]+)\s*)");
        auto parse_one = [&](const std::string& part) -> std::optional<double> {
            std::smatch match;
            if (std::regex_match(part, match, k_number)) {
                m_reader.error(at,
                               "\"" + *text + "\" is not a rate (try " + match[1].str() + "/s)");
                return std::nullopt;
            }
            if (!std::regex_match(part, match, k_one)) {
                if (std::regex_match(part, match, k_spaced)) {
                    m_reader.error(at, "\"" + *text +
                                           "\" is not a rate: write it without spaces (" +
                                           match[1].str() + "/" + match[3].str() + ")");
                    return std::nullopt;
                }
                m_reader.error(at, "\"" + *text +
                                       "\" is not a rate (write N/s, e.g. 200/s, or a ramp "
                                       "50/s..500/s)");
                return std::nullopt;
            }
            // Per second, minute or hour; kept per second.
            const std::string per = match[3].str();
            double seconds = per == "s" ? 1 : per == "m" ? 60 : per == "h" ? 3600 : 0;
            if (seconds == 0) {
                m_reader.error(at, "\"" + *text +
                                       "\": a rate is per second (/s), minute (/m) or hour (/h), "
                                       "not /" +
                                       per);
                return std::nullopt;
            }
            double value = std::stod(match[1].str()) / seconds;
            if (value <= 0 || value > k_max_rate) {
                m_reader.error(
                    at, "\"" + *text + "\": a rate is more than 0/s and at most " + "1000000/s");
                return std::nullopt;
            }
            return value;
        };
        if (text->size() > 100) {
            m_reader.error(at, "is not a rate (write N/s, e.g. 200/s, or a ramp 50/s..500/s)");
            return std::nullopt;
        }
        std::size_t dots = text->find("..");
        if (dots == std::string::npos) {
            auto value = parse_one(*text);
            return value ? std::optional(RateSpec{*value, *value}) : std::nullopt;
        }
        auto from = parse_one(text->substr(0, dots));
        if (!from) {
            return std::nullopt;
        }
        auto to = parse_one(text->substr(dots + 2));
        if (!to) {
            return std::nullopt;
        }
        return RateSpec{*from, *to};
    }

    YamlReader& m_reader;
    std::filesystem::path m_base_dir;
    const ExecutorSections& m_executors;
    MetricCatalog m_catalog;
    bool m_has_prometheus = false;  ///< metrics.prometheus is written (prom() criteria allowed)
};

}  // namespace

bool read_pipeline(YamlReader& reader, const Located& root, const std::filesystem::path& base_dir,
                   const ExecutorSections& executors, Pipeline& pipeline) {
    return PipelineReader(reader, base_dir, executors).read(root, pipeline);
}

}  // namespace orch
