#include "config/loader.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/sha256.hpp"
#include "config/template.hpp"
#include "core/redact.hpp"
#include "load_support.hpp"

using namespace orch;

namespace {

LoadOptions env_options(std::map<std::string, std::string> env) {
    LoadOptions options;
    options.getenv = [env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) {
            return std::nullopt;
        }
        return it->second;
    };
    return options;
}

// Every formatted diagnostic of a pipeline that must fail to load.
std::vector<std::string> problems(const std::string& yaml,
                                  const LoadOptions& options = env_options({})) {
    return test::load_problems(yaml, "chat.yaml", options);
}

Pipeline load_ok(const std::string& yaml, const LoadOptions& options = env_options({})) {
    auto loaded = load_pipeline_text_diagnostics(yaml, "dir/chat.yaml", options);
    if (!loaded) {
        for (const auto& problem : loaded.error().problems) {
            UNSCOPED_INFO(problem.format());
        }
    }
    REQUIRE(loaded);
    return std::move(*loaded);
}

const std::string k_minimal = R"(version: 1
target: { base_url: "http://127.0.0.1:8080/" }
scenario:
  operations:
    - { name: ping, path: /health }
stages:
  - { name: smoke, vus: 2, duration: 1s }
)";

using test::fill;

}  // namespace

TEST_CASE("the example pipelines load") {
    for (const char* name : {"chat-quick.yaml", "chat-progressive.yaml"}) {
        std::string path = std::string(STAGEGATE_SOURCE_DIR) + "/pipelines/" + name;
        auto loaded = load_pipeline_diagnostics(path, env_options({}));
        if (!loaded) {
            for (const auto& problem : loaded.error().problems) {
                UNSCOPED_INFO(problem.format());
            }
        }
        REQUIRE(loaded);
        const Pipeline& p = *loaded;
        CHECK(p.version == 1);
        CHECK(p.file == path);
        CHECK(p.sha256.size() == 64);
        CHECK(p.target.base_url == "http://127.0.0.1:8080");
        REQUIRE(p.backend);
        CHECK(p.backend->command ==
              std::vector<std::string>{"build/examples/chat-backend/chat-backend"});
        CHECK(p.backend->cwd == std::filesystem::path(STAGEGATE_SOURCE_DIR).lexically_normal());
        CHECK(p.operation_names() == std::vector<std::string>{"send", "history"});
        CHECK(p.body_pattern_names() == std::vector<std::string>{"prisma"});
        REQUIRE(p.stages.size() == 3);
        CHECK(p.stages[0].name == "smoke");
        CHECK(p.stages[2].name == "stress");
        // defaults.criteria first, then the stage's own latency table (a YAML alias).
        REQUIRE(p.stages[1].criteria.size() == p.defaults.criteria.size() + 4);
        CHECK(p.stages[1].criteria.back().criterion.expr == "history.p99 < 600ms");
        CHECK(p.defaults.health_check_before_stage);
    }
}

TEST_CASE("a full pipeline maps onto the model") {
    clear_secrets_for_testing();
    const std::string yaml = R"(version: 1
name: everything
target:
  base_url: http://127.0.0.1:${PORT:-8080}/
  headers: { Authorization: "Bearer ${API_TOKEN}", X-Trace: "{{uuid}}" }
  timeout: 3s
  transport: lean
  insecure: true
backend:
  command: [./server, --flag, 7]
  cwd: ../srv
  env: { PORT: 9000, DEBUG: true, NAME: "x" }
  startup_timeout: 20s
  stop_timeout: 2s
health:
  url: /healthz
  expect_status: 204
  expect_json: { /status: ok, /db/up: true, /count: 3 }
  interval: 100ms
  memory_json: /memory/rss
body_patterns:
  prisma: "Prisma|Invalid `prisma"
  oops: "oops [0-9]+"
scenario:
  executor: builtin
  think_time: 250ms
  variables:
    userId: { random_int: [1, 1000] }
    room: { one_of: [a, b, 3] }
  operations:
    - name: send
      weight: 2.5
      method: post
      path: /rooms/{{room}}/messages?u={{userId}}
      json: { userId: "{{userId}}", n: 5, ok: true, none: ~, list: [1, "two", "{{vu}}"], text: "say \"{{room}}\"" }
      headers: { X-Request: "r-{{iter}}" }
      expect: { status: [200, 201], json: { /ok: true }, headers: { Content-Type: application/json }, body_contains: ok, body_regex: "id.*" }
      capture: { msgId: /id }
      timeout: 2s
    - name: receipt
      steps:
        - { name: read, path: "/messages/{{msgId}}", expect: { status: 200 } }
        - { name: mark_read, method: PUT, path: "/messages/{{msgId}}/reads", body: "user={{userId}}", capture: { cursor: /next } }
defaults:
  cooldown: 1m30s
  health_check_before_stage: false
  criteria:
    - errors.connection_refused == 0
stages:
  - name: smoke
    vus: ${VUS:-5}
    duration: 30s
    ramp_up: 5s
    ramp_down: 2s
    graceful_stop: 1s
    cooldown: 0s
    think_time: 1s
    criteria:
      - send.p95 < 250ms
      - { expr: "read.p99 < 1s", name: "read latency", severity: warn, abort: true }
      - errors.body.oops == 0
  - name: open
    rate: 50/s..500/s
    max_vus: 300
    duration: 1m
  - name: fixed
    rate: 200/s
    duration: 10s
)";
    Pipeline p = load_ok(yaml, env_options({{"API_TOKEN", "s3cr3t-token-value"}}));
    CHECK(p.name == "everything");
    CHECK(p.file == "dir/chat.yaml");
    CHECK(p.target.base_url == "http://127.0.0.1:8080");
    REQUIRE(p.target.headers.size() == 2);
    CHECK(p.target.headers[0].name == "Authorization");
    CHECK(p.target.headers[0].value.is_constant());
    CHECK(p.target.headers[0].value.segments[0].literal == "Bearer s3cr3t-token-value");
    CHECK(p.target.headers[1].value.segments[0].var == 0);  // uuid
    CHECK(p.target.timeout == std::chrono::seconds(3));
    CHECK(p.target.transport == Transport::lean);
    CHECK(p.target.insecure);

    REQUIRE(p.backend);
    CHECK(p.backend->command == std::vector<std::string>{"./server", "--flag", "7"});
    CHECK(p.backend->cwd == std::filesystem::current_path() / "srv");
    CHECK(p.backend->env == std::vector<std::pair<std::string, std::string>>{
                                {"PORT", "9000"}, {"DEBUG", "true"}, {"NAME", "x"}});
    CHECK(p.backend->startup_timeout == std::chrono::seconds(20));
    CHECK(p.backend->stop_timeout == std::chrono::seconds(2));

    REQUIRE(p.health);
    CHECK(p.health->url == "/healthz");
    CHECK(p.health->expect_status == 204);
    REQUIRE(p.health->expect_json.size() == 3);
    CHECK(p.health->expect_json[0].first == "/status");
    CHECK(*p.health->expect_json[0].second == nlohmann::json("ok"));
    CHECK(*p.health->expect_json[1].second == nlohmann::json(true));
    CHECK(*p.health->expect_json[2].second == nlohmann::json(3));
    CHECK(p.health->interval == std::chrono::milliseconds(100));
    CHECK(p.health->memory_json == "/memory/rss");
    CHECK(p.body_pattern_names() == std::vector<std::string>{"prisma", "oops"});

    const Scenario& s = p.scenario;
    CHECK(s.executor == "builtin");
    CHECK(s.think_time == std::chrono::milliseconds(250));
    REQUIRE(s.variables.size() == 2);
    CHECK(s.variables[0].kind == VariableSpec::Kind::random_int);
    CHECK(s.variables[0].min == 1);
    CHECK(s.variables[0].max == 1000);
    CHECK(s.variables[1].values == std::vector<std::string>{"a", "b", "3"});
    CHECK(s.variable_names == std::vector<std::string>{"uuid", "vu", "iter", "stage", "userId",
                                                       "room", "msgId", "cursor"});
    REQUIRE(s.operations.size() == 2);
    const OperationSpec& send_op = s.operations[0];
    CHECK(send_op.name == "send");
    CHECK(send_op.weight == 2.5);
    CHECK_FALSE(send_op.is_flow);
    REQUIRE(send_op.steps.size() == 1);
    const RequestSpec& send = send_op.steps[0];
    CHECK(send.metric_index == 0);
    CHECK(send.method == "POST");
    CHECK(send.pos.line == 31);
    std::vector<std::string> values = {"U", "7", "3", "smoke", "42", "r/1", "m9", "c"};
    CHECK(fill(send.path, values) == "/rooms/r%2F1/messages?u=42");
    REQUIRE(send.body);
    CHECK(send.content_type == "application/json");
    std::string body = fill(*send.body, {"U", "7", "3", "smoke", "42", "a\"b", "m9", "c"});
    CHECK(nlohmann::json::parse(body) ==
          nlohmann::json::parse(R"({"userId":"42","n":5,"ok":true,"none":null,
                                   "list":[1,"two","7"],"text":"say \"a\"b\""})"));
    CHECK(
        send.body->source ==
        R"({"userId":"{{userId}}","n":5,"ok":true,"none":null,"list":[1,"two","{{vu}}"],"text":"say \"{{room}}\""})");
    REQUIRE(send.headers.size() == 1);
    CHECK(fill(send.headers[0].value, values) == "r-3");
    CHECK(send.expect.status == std::vector<int>{200, 201});
    CHECK(*send.expect.json[0].second == nlohmann::json(true));
    CHECK(send.expect.headers[0] ==
          std::pair<std::string, std::string>{"Content-Type", "application/json"});
    CHECK(send.expect.body_contains == "ok");
    CHECK(send.expect.body_regex == "id.*");
    CHECK(send.capture == std::vector<std::pair<std::string, std::string>>{{"msgId", "/id"}});
    CHECK(send.timeout == std::chrono::seconds(2));

    const OperationSpec& flow = s.operations[1];
    CHECK(flow.is_flow);
    CHECK(flow.name == "receipt");
    CHECK(flow.weight == 1);
    REQUIRE(flow.steps.size() == 2);
    CHECK(flow.steps[0].method == "GET");
    CHECK(flow.steps[0].metric_index == 1);
    CHECK(flow.steps[1].metric_index == 2);
    CHECK(flow.steps[1].method == "PUT");
    REQUIRE(flow.steps[1].body);
    CHECK(flow.steps[1].content_type.empty());
    CHECK(fill(*flow.steps[1].body, values) == "user=42");
    CHECK(p.operation_names() == std::vector<std::string>{"send", "read", "mark_read"});

    CHECK(p.defaults.cooldown == std::chrono::seconds(90));
    CHECK_FALSE(p.defaults.health_check_before_stage);
    REQUIRE(p.stages.size() == 3);
    const StageSpec& smoke = p.stages[0];
    CHECK(smoke.vus == 5);
    CHECK_FALSE(smoke.rate);
    CHECK(smoke.max_vus == 0);
    CHECK(smoke.duration == std::chrono::seconds(30));
    CHECK(smoke.ramp_up == std::chrono::seconds(5));
    CHECK(smoke.ramp_down == std::chrono::seconds(2));
    CHECK(smoke.graceful_stop == std::chrono::seconds(1));
    CHECK(smoke.cooldown == Duration(0));
    CHECK(smoke.think_time == std::chrono::seconds(1));
    REQUIRE(smoke.criteria.size() == 4);
    CHECK(smoke.criteria[0].criterion.expr == "errors.connection_refused == 0");
    CHECK(smoke.criteria[1].criterion.metric == "send.p95");
    CHECK(smoke.criteria[1].criterion.name == "send.p95 < 250ms");
    CHECK(smoke.criteria[1].pos.line == 59);
    const Criterion& read = smoke.criteria[2].criterion;
    CHECK(read.name == "read latency");
    CHECK(read.severity == Severity::warn);
    CHECK(read.abort);
    CHECK(read.target == Approx(1000));
    const StageSpec& open = p.stages[1];
    REQUIRE(open.rate);
    CHECK(open.rate->from_per_s == 50);
    CHECK(open.rate->to_per_s == 500);
    CHECK(open.max_vus == 300);
    CHECK(open.max_vus_set);
    CHECK(open.graceful_stop == std::chrono::seconds(5));
    CHECK_FALSE(open.cooldown);
    CHECK(open.criteria.size() == 1);
    REQUIRE(p.stages[2].rate);
    CHECK(p.stages[2].rate->from_per_s == 200);
    CHECK(p.stages[2].rate->to_per_s == 200);
    // No max_vus: one second of requests at the peak rate (not a fixed 100).
    CHECK(p.stages[2].max_vus == 200);
    CHECK_FALSE(p.stages[2].max_vus_set);

    // Header values and secret-named variables are registered for redaction.
    CHECK(redact("Bearer s3cr3t-token-value") == "***");
    CHECK(redact("s3cr3t-token-value") == "***");
    clear_secrets_for_testing();
}

TEST_CASE("defaults fill what a minimal pipeline leaves out") {
    Pipeline p = load_ok(k_minimal);
    CHECK(p.name == "chat");  // the file's stem
    CHECK(p.target.base_url == "http://127.0.0.1:8080");
    CHECK(p.target.timeout == std::chrono::seconds(10));
    CHECK(p.target.transport == Transport::auto_select);
    CHECK_FALSE(p.backend);
    CHECK_FALSE(p.health);
    CHECK(p.scenario.executor == "builtin");
    CHECK(p.scenario.variable_names == std::vector<std::string>{"uuid", "vu", "iter", "stage"});
    CHECK(p.scenario.operations[0].steps[0].method == "GET");
    CHECK(p.defaults.cooldown == Duration(0));
    CHECK(p.defaults.health_check_before_stage);
    CHECK(p.stages[0].graceful_stop == std::chrono::seconds(5));
}

TEST_CASE("diagnostics name file:line:column, the key path and a fix") {
    CHECK(problems(R"(version: 1
target: { base_url: http://x }
scenario: { operations: [ { name: a, path: / } ] }
stages:
  - name: smoke
    vus: 1
    duration: 1s
  - name: load
    vus: 2
    duration: 2 min
)") == std::vector<std::string>{
           "chat.yaml:10:15: stages[1].duration: \"2 min\" is not a duration (try 2m)"});

    CHECK(problems(R"(version: 1
target: { base_url: http://x }
scenario: { operations: [ { name: a, path: / } ] }
stages:
  - { name: smoke, vus: many, duration: 30 }
)") == std::vector<std::string>{
           "chat.yaml:5:25: stages[0].vus: \"many\" is not a whole number (1..100000)",
           "chat.yaml:5:41: stages[0].duration: \"30\" is not a duration (try 30s)"});

    CHECK(problems(R"(version: 1
target: { base_url: http://x }
scenario:
  operations:
    - name: a
      path: /
      expect: { staus: 200 }
stages:
  - { name: smoke, vus: 1, duration: 1s, duraton: 2s }
)") == std::vector<std::string>{
           "chat.yaml:7:17: scenario.operations[0].expect.staus: unknown key \"staus\" (did "
           "you mean \"status\"?)",
           "chat.yaml:9:42: stages[0].duraton: unknown key \"duraton\" (did you mean "
           "\"duration\"?)"});

    auto no_match = problems(R"(version: 1
target: { base_url: http://x, zzzzzz: 1 }
scenario: { operations: [ { name: a, path: / } ] }
stages: [ { name: s, vus: 1, duration: 1s } ]
)");
    REQUIRE(no_match.size() == 1);
    CHECK(no_match[0] ==
          "chat.yaml:2:31: target.zzzzzz: unknown key \"zzzzzz\" (valid keys: "
          "base_url, headers, timeout, transport, compression, insecure, tls)");
}

TEST_CASE("every problem in the file is reported at once") {
    auto list = problems(R"(version: 1
target: { base_url: ftp://x }
scenario: { operations: [ { name: a, path: / } ] }
stages:
  - { name: smoke, vus: 0, duration: 1s }
  - { name: load, vus: 1, duration: 1s, criteria: [ "a.p95 < 1%" ] }
)");
    REQUIRE(list.size() == 3);
    CHECK(list[0] ==
          "chat.yaml:2:21: target.base_url: \"ftp://x\" does not start with http:// or "
          "https://");
    CHECK(list[1] == "chat.yaml:5:25: stages[0].vus: 0 is out of range (1..100000)");
    CHECK(list[2].rfind("chat.yaml:6:53: stages[1].criteria[0]: ", 0) == 0);
    auto loaded = load_pipeline_text("version: 2\n", "v.yaml");
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code == ErrorCode::invalid_input);
    CHECK(loaded.error().message == "v.yaml: 1 problem");
    CHECK(loaded.error().context ==
          "v.yaml:1:10: version: unsupported pipeline version 2 (this stagegate reads version 1)");
}

TEST_CASE("the Error of a failed load counts problems and lists one per line") {
    auto loaded = load_pipeline_text("version: 1\nstages: 3\n", "p.yaml", env_options({}));
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message == "p.yaml: 3 problems");
    CHECK(loaded.error().context ==
          "p.yaml:1:1: scenario: missing (what the load does: operations to send)\n"
          "p.yaml:1:1: target: missing (target: { base_url: http://127.0.0.1:8080 })\n"
          "p.yaml:2:9: stages: expected a list, got a string");
}

TEST_CASE("type mistakes are diagnostics, not exceptions") {
    auto list = problems(R"(version: 1
target: [http://x]
backend: { command: "./server --port 1" }
scenario:
  executor: jmeter
  think_time: {a: 1}
  operations: { name: a }
stages:
  - { name: s, vus: 99999999999999999999999, duration: 1s, cooldown: [1s] }
)");
    REQUIRE(list.size() == 7);
    CHECK(list[0] == "chat.yaml:2:9: target: expected a mapping (key: value), got a list");
    CHECK(list[1] ==
          "chat.yaml:3:21: backend.command: expected a list, got a string: command is "
          "an argv list, not a shell line: [prog, arg]");
    // Without the CLI's registry (LoadOptions::executors) the loader knows only builtin.
    CHECK(list[2] == "chat.yaml:5:13: scenario.executor: \"jmeter\" is not one of builtin");
    CHECK(list[3] ==
          "chat.yaml:6:15: scenario.think_time: expected a duration such as 30s, got a "
          "mapping");
    CHECK(list[4] == "chat.yaml:7:15: scenario.operations: expected a list, got a mapping");
    CHECK(list[5] ==
          "chat.yaml:9:21: stages[0].vus: 99999999999999999999999 is out of range "
          "(1..100000)");
    CHECK(list[6] ==
          "chat.yaml:9:70: stages[0].cooldown: expected a duration such as 30s, got a "
          "list");
}

TEST_CASE("stage load model: exactly one of vus or rate, rates per second, minute or hour") {
    auto list = problems(R"(version: 1
target: { base_url: http://x }
scenario: { operations: [ { name: a, path: / } ] }
stages:
  - { name: both, vus: 1, rate: 5/s, duration: 1s }
  - { name: neither, duration: 1s }
  - { name: per-day, rate: 200/d, duration: 1s }
  - { name: bare, rate: 200, duration: 1s }
  - { name: huge, rate: 2000000/s, duration: 1s }
  - { name: fixed-users, vus: 3, max_vus: 5, duration: 1s }
  - { name: smoke, rate: 1/s, ramp_up: 5s, duration: 1s }
)");
    REQUIRE(list.size() == 7);
    CHECK(list[0] ==
          "chat.yaml:5:33: stages[0].rate: give vus (closed model) or rate (open "
          "model), not both");
    CHECK(list[1] ==
          "chat.yaml:6:5: stages[1]: needs vus: N (closed model: N virtual users) or "
          "rate: N/s (open model: N requests per second)");
    CHECK(list[2] ==
          "chat.yaml:7:28: stages[2].rate: \"200/d\": a rate is per second (/s), minute (/m) "
          "or hour (/h), not /d");
    CHECK(list[3] == "chat.yaml:8:25: stages[3].rate: \"200\" is not a rate (try 200/s)");
    CHECK(list[4].find("stages[4].rate: \"2000000/s\": a rate is more than 0/s and at most") !=
          std::string::npos);
    CHECK(list[5].find("stages[5].max_vus: max_vus is for the open model") != std::string::npos);
    CHECK(list[6].find("stages[6].ramp_up: ramp_up is for the closed model") != std::string::npos);
}

TEST_CASE("names: unique, well-formed, not metric words; criteria see operations") {
    auto list = problems(R"(version: 1
target: { base_url: http://x }
scenario:
  operations:
    - { name: send, path: / }
    - { name: p95, path: / }
    - name: flow
      steps:
        - { name: send, path: / }
        - { name: 2nd, path: / }
stages:
  - { name: smoke, vus: 1, duration: 1s, criteria: [ sned.p95 < 1s, errors.body.nope == 0 ] }
  - { name: smoke, vus: 1, duration: 1s }
  - { name: "with space", vus: 1, duration: 1s }
)");
    REQUIRE(list.size() == 7);
    CHECK(list[0].find("scenario.operations[1].name: \"p95\" is a metric name") !=
          std::string::npos);
    CHECK(list[1].find("chat.yaml:9:19: scenario.operations[2].steps[0].name: duplicate name "
                       "\"send\" (first on line 5)") == 0);
    CHECK(list[2].find("scenario.operations[2].steps[1].name: \"2nd\" is not a valid name") !=
          std::string::npos);
    CHECK(list[3].find("chat.yaml:12:54: stages[0].criteria[0]: ") == 0);
    CHECK(list[3].find("unknown operation \"sned\"") != std::string::npos);
    CHECK(list[3].find("did you mean \"send\"") != std::string::npos);
    CHECK(list[4].find("stages[0].criteria[1]: ") != std::string::npos);
    CHECK(list[4].find("\"nope\"") != std::string::npos);
    CHECK(list[5] ==
          "chat.yaml:13:13: stages[1].name: duplicate stage name \"smoke\" (first on "
          "line 12)");
    CHECK(list[6].find("stages[2].name: \"with space\" is not a valid stage name") !=
          std::string::npos);
}

TEST_CASE("criteria maps: expr required, severity and abort checked") {
    auto list = problems(R"(version: 1
target: { base_url: http://x }
scenario: { operations: [ { name: a, path: / } ] }
defaults:
  criteria:
    - { name: x }
    - { expr: "p95 < 1s", severity: fatal }
    - { expr: "p95 < 1s", abort: maybe, colour: red }
    - [ p95 < 1s ]
stages: [ { name: s, vus: 1, duration: 1s } ]
)");
    REQUIRE(list.size() == 5);
    CHECK(list[0] ==
          "chat.yaml:6:7: defaults.criteria[0].expr: missing (e.g. expr: \"send.p95 < "
          "250ms\")");
    CHECK(list[1] ==
          "chat.yaml:7:37: defaults.criteria[1].severity: \"fatal\" is not one of fail, "
          "warn (did you mean \"fail\"?)");
    CHECK(list[2] == "chat.yaml:8:34: defaults.criteria[2].abort: \"maybe\" is not true or false");
    CHECK(list[3].find("defaults.criteria[2].colour: unknown key \"colour\"") != std::string::npos);
    CHECK(list[4].find("defaults.criteria[3]: expected a criterion") != std::string::npos);
}

TEST_CASE("templates are checked against variables, captures and built-ins") {
    auto list = problems(R"(version: 1
target: { base_url: http://x, headers: { X-A: "{{nope}}" } }
scenario:
  variables:
    userId: { random_int: [5, 1] }
    room: { one_of: [] }
    uuid: { one_of: [a] }
  operations:
    - name: a
      path: /u/{{usrId}}
      json: { text: "{{room" }
      capture: { vu: /x, "bad name": /y, ok: "no-slash" }
stages: [ { name: s, vus: 1, duration: 1s } ]
)");
    REQUIRE(list.size() == 9);
    CHECK(list[0].find("chat.yaml:2:47: target.headers.X-A: unknown variable \"{{nope}}\"") == 0);
    CHECK(list[1] ==
          "chat.yaml:5:27: scenario.variables.userId.random_int: lowest 5 is above "
          "highest 1");
    CHECK(list[2] ==
          "chat.yaml:6:21: scenario.variables.room.one_of: is empty (give at least one "
          "value)");
    CHECK(list[3] == "chat.yaml:7:5: scenario.variables.uuid: \"uuid\" is a built-in variable");
    CHECK(list[4] ==
          "chat.yaml:10:13: scenario.operations[0].path: unknown variable "
          "\"{{usrId}}\" (did you mean \"userId\"?)");
    CHECK(list[5].find("chat.yaml:11:21: scenario.operations[0].json.text: unclosed \"{{\"") == 0);
    CHECK(list[6].find("scenario.operations[0].capture.vu: \"vu\" is already a scenario or "
                       "built-in variable") != std::string::npos);
    CHECK(list[7].find("scenario.operations[0].capture.bad name: \"bad name\" is not a variable "
                       "name") != std::string::npos);
    CHECK(list[8].find("scenario.operations[0].capture.ok: \"no-slash\" is not a JSON pointer") !=
          std::string::npos);
}

TEST_CASE("interpolation happens before type conversion; unset variables are errors") {
    Pipeline p = load_ok(R"(version: 1
target: { base_url: "http://127.0.0.1:${PORT}" }
scenario: { think_time: "${THINK:-20ms}", operations: [ { name: a, path: "/$${literal}" } ] }
stages: [ { name: s, vus: "${VUS:-5}", duration: "${DURATION}" } ]
)",
                         env_options({{"PORT", "9123"}, {"DURATION", "3s"}}));
    CHECK(p.target.base_url == "http://127.0.0.1:9123");
    CHECK(p.scenario.think_time == std::chrono::milliseconds(20));
    CHECK(p.stages[0].vus == 5);
    CHECK(p.stages[0].duration == std::chrono::seconds(3));
    CHECK(p.scenario.operations[0].steps[0].path.segments[0].literal == "/${literal}");

    auto list = problems(R"(version: 1
target: { base_url: "http://127.0.0.1:${PORT}" }
scenario: { operations: [ { name: a, path: / } ] }
stages: [ { name: s, vus: 1, duration: 1s } ]
)");
    REQUIRE(list.size() == 1);
    CHECK(list[0] ==
          "chat.yaml:2:21: target.base_url: ${PORT} is not set (set it, or give a "
          "default: ${PORT:-value})");
}

TEST_CASE("secrets never appear in diagnostics") {
    clear_secrets_for_testing();
    auto options = env_options({{"API_KEY", "canary-key-8842"}, {"SECRET_VUS", "lots-of-users"}});
    auto list = problems(R"(version: 1
target:
  base_url: http://x
  headers: { Authorization: "Bearer header-canary-77", X-Key: "${API_KEY}" }
  timeout: "${API_KEY}"
scenario:
  operations:
    - { name: a, path: /, headers: { X-Op-Session: "op-canary-55" }, timeout: op-canary-55 }
stages: [ { name: s, vus: "${SECRET_VUS}", duration: "Bearer header-canary-77" } ]
)",
                         options);
    REQUIRE(list.size() == 4);
    for (const auto& line : list) {
        CHECK(line.find("canary") == std::string::npos);
        CHECK(line.find("lots-of-users") == std::string::npos);
        CHECK(line.find("***") != std::string::npos);
    }
    clear_secrets_for_testing();
}

TEST_CASE("only secret-named headers are secrets; names are never rewritten") {
    clear_secrets_for_testing();
    // Accept-Encoding: gzip and X-Stage: load are no secrets: an operation "gzip", a stage
    // "load" and a file named after them keep their names everywhere.
    auto p = load_ok(R"(version: 1
name: gzip-load
target:
  base_url: http://127.0.0.1:8080
  headers: { Accept-Encoding: gzip, X-Stage: load, X-Api-Key: "k3y-value-991" }
scenario:
  operations:
    - { name: gzip, path: /, headers: { Cookie: "sid=cookie-value-7" } }
stages:
  - { name: load, vus: 1, duration: 1s, criteria: [ "gzip.p95 < 100ms" ] }
)");
    CHECK(redact("gzip load gzip-load chat.yaml") == "gzip load gzip-load chat.yaml");
    CHECK(redact("k3y-value-991") == "***");
    CHECK(redact("sid=cookie-value-7") == "***");
    CHECK(p.stages[0].name == "load");

    // A secret inside a name the user wrote: refused at load, the secret not shown.
    clear_secrets_for_testing();
    auto list = problems(R"(version: 1
target:
  base_url: http://127.0.0.1:8080
  headers: { X-Auth-Token: "tok42" }
scenario:
  operations:
    - { name: get-tok42, path: / }
stages:
  - { name: tok42-stage, vus: 1, duration: 1s, criteria: [ "get-tok42.p95 < 100ms" ] }
)");
    REQUIRE(list.size() == 3);
    CHECK(list[0].find("chat.yaml:7:7: scenario.operations[0]: the operation name contains the "
                       "value of a secret") == 0);
    CHECK(list[1].find("chat.yaml:9:5: stages[0].name: the stage name contains") == 0);
    CHECK(list[2].find("stages[0].criteria[0]: the criterion contains") != std::string::npos);
    for (const auto& line : list) {
        CHECK(line.find("tok42") == std::string::npos);
    }
    // Only the file's own name counts: a folder on its path ("dir/chat.yaml") is no name.
    clear_secrets_for_testing();
    load_ok(R"(version: 1
target: { base_url: "http://127.0.0.1:8080/", headers: { X-Api-Key: dir } }
scenario:
  operations:
    - { name: ping, path: /health }
stages:
  - { name: smoke, vus: 2, duration: 1s }
)");
    clear_secrets_for_testing();
}

TEST_CASE("YAML anchors, aliases and merge keys work; bombs and cycles are refused") {
    Pipeline p = load_ok(R"(version: 1
target: { base_url: http://x }
scenario: { operations: [ { name: a, path: / } ] }
stages:
  - &base { name: one, vus: 2, duration: 3s, criteria: &crit [ "a.p95 < 1s" ] }
  - { <<: *base, name: two, vus: 4 }
  - { name: three, vus: 1, duration: 1s, criteria: *crit }
)");
    REQUIRE(p.stages.size() == 3);
    CHECK(p.stages[1].name == "two");
    CHECK(p.stages[1].vus == 4);
    CHECK(p.stages[1].duration == std::chrono::seconds(3));
    CHECK(p.stages[1].criteria.size() == 1);
    CHECK(p.stages[2].criteria.size() == 1);

    // Billion laughs inside a json body: 10^9 nodes once aliases are expanded.
    std::string bomb =
        "version: 1\ntarget: { base_url: http://x }\nscenario:\n  operations:\n"
        "    - name: a\n      path: /\n      json:\n        l0: &l0 [x, x, x, x, x, "
        "x, x, x, x, x]\n";
    for (int level = 1; level <= 8; ++level) {
        std::string prev = "*l" + std::to_string(level - 1);
        bomb += "        l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
        for (int i = 0; i < 10; ++i) {
            bomb += (i ? ", " : "") + prev;
        }
        bomb += "]\n";
    }
    bomb += "stages: [ { name: s, vus: 1, duration: 1s } ]\n";
    auto bomb_problems = problems(bomb);
    REQUIRE(bomb_problems.size() == 1);
    CHECK(bomb_problems[0].find("more than 250000 YAML nodes") != std::string::npos);

    auto cycle = problems(R"(version: 1
target: { base_url: http://x }
scenario: { operations: [ { name: a, path: /, json: &c [ *c ] } ] }
stages: [ { name: s, vus: 1, duration: 1s } ]
)");
    REQUIRE(cycle.size() == 1);
    CHECK(cycle[0].find("nesting is deeper than 100 levels") != std::string::npos);
}

TEST_CASE("files that are not pipelines give one positioned diagnostic") {
    CHECK(problems("") ==
          std::vector<std::string>{
              "chat.yaml:1:1: the file is empty (a pipeline starts with version: 1)"});
    CHECK(problems("# only a comment\n") ==
          std::vector<std::string>{
              "chat.yaml:1:1: the file is empty (a pipeline starts with version: 1)"});
    CHECK(problems("- a\n- b\n") ==
          std::vector<std::string>{"chat.yaml:1:1: the file is a list, not a mapping of keys (a "
                                   "pipeline starts with version: 1)"});
    CHECK(problems(std::string("version: 1\nname: \x01\x02\xff", 20)) ==
          std::vector<std::string>{"chat.yaml:2:7: byte 0x01 is not YAML text (binary data, or "
                                   "not UTF-8): is this a pipeline?"});
    CHECK(problems("version: 1\n---\nversion: 1\n") ==
          std::vector<std::string>{"chat.yaml:3:1: the file holds 2 YAML documents (--- starts a "
                                   "new one): a pipeline is one document"});
    auto syntax = problems("version: 1\nstages: [ {name: a\n");
    REQUIRE(syntax.size() == 1);
    CHECK(syntax[0].rfind("chat.yaml:", 0) == 0);
    CHECK(syntax[0].find("YAML syntax error") != std::string::npos);
    auto deep =
        problems("version: 1\nx: " + std::string(5000, '[') + std::string(5000, ']') + "\n");
    REQUIRE(deep.size() == 1);
    CHECK(deep[0].find("nesting is too deep") != std::string::npos);
    auto missing = load_pipeline_diagnostics("/nonexistent/dir/p.yaml");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().problems[0].format() == "/nonexistent/dir/p.yaml: no such file");
}

TEST_CASE("a pipeline file's sha256 is of its bytes and relative paths use its folder") {
    auto dir = std::filesystem::temp_directory_path() / "stagegate-config-test";
    std::filesystem::create_directories(dir);
    auto file = dir / "p.yaml";
    std::string text = k_minimal + "backend: { command: [./srv], cwd: sub }\n";
    {
        std::ofstream out(file, std::ios::binary);
        out << text;
    }
    auto loaded = load_pipeline(file, env_options({}));
    REQUIRE(loaded);
    CHECK(loaded->sha256 == sha256_hex(text));
    auto again = load_pipeline_text(text, "other.yaml", env_options({}));
    REQUIRE(again);
    CHECK(again->sha256 == loaded->sha256);
    CHECK(loaded->backend->cwd == dir / "sub");
    CHECK(again->backend->cwd == std::filesystem::current_path() / "sub");
    std::filesystem::remove_all(dir);
}

// An executor's own paths (k6's script:) resolve the same way: tests/unit/executor_k6.
TEST_CASE("cwd resolves against the pipeline file's folder") {
    const std::string k6 = R"(version: 1
target: { base_url: http://x }
backend: { command: [srv], cwd: .. }
scenario: { operations: [ { name: a, path: / } ] }
stages: [ { name: s, vus: 1, duration: 1s } ]
)";
    auto relative = load_pipeline_text(k6, "pipelines/p.yaml", env_options({}));
    REQUIRE(relative);
    // Relative to where stagegate runs, made absolute so later users need no base folder.
    CHECK(relative->backend->cwd == std::filesystem::current_path());
    auto absolute = load_pipeline_text(k6, "/srv/ci/pipelines/p.yaml", env_options({}));
    REQUIRE(absolute);
    CHECK(absolute->backend->cwd == std::filesystem::path("/srv/ci"));
    auto overridden = load_pipeline_text(k6, "/srv/p.yaml", [] {
        LoadOptions options;
        options.overrides = {"backend.cwd=/abs/dir/"};
        return options;
    }());
    REQUIRE(overridden);
    CHECK(overridden->backend->cwd == std::filesystem::path("/abs/dir"));
}

TEST_CASE("UTF-8 text is fine; other bytes are refused where they are") {
    Pipeline p = load_ok(k_minimal + "name: \"caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x9a\x80\"\n");
    CHECK(p.name == "caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x9a\x80");
    for (const char* bad : {"\xf8\x88\x80\x80\x80", "\xc0\xaf", "\xe2\x98", "\xed\xa0"}) {
        auto list = problems(k_minimal + "name: x" + bad + "\n");
        REQUIRE(list.size() == 1);
        CHECK(list[0].find("chat.yaml:8:8: byte 0x") == 0);
    }
}

TEST_CASE("a document that starts with a comma is a syntax error, not an endless loop") {
    // Found by tests/fuzz/ (corpus/pipeline_loader/regression_leading_comma_hang.yaml):
    // yaml-cpp 0.7's LoadAll added empty documents forever until memory ran out.
    CHECK(problems(",\n") ==
          std::vector<std::string>{
              "chat.yaml:1:1: YAML syntax error: a value cannot start with \",\""});
    CHECK(problems("# a comment\n  , version: 1\n") ==
          std::vector<std::string>{
              "chat.yaml:2:3: YAML syntax error: a value cannot start with \",\""});
    CHECK(problems("version: 1\n---\n, x\n") ==
          std::vector<std::string>{
              "chat.yaml:3:1: YAML syntax error: a value cannot start with \",\""});
}

TEST_CASE("rates per minute and hour are kept per second; spaces in a rate are refused") {
    auto loaded = load_pipeline_text_diagnostics(R"(version: 1
target: { base_url: http://x }
scenario: { operations: [ { name: a, path: / } ] }
stages:
  - { name: m, rate: 120/m, duration: 1s }
  - { name: h, rate: 36/h..7200/h, duration: 1s }
)",
                                                 "chat.yaml", {});
    REQUIRE(loaded);
    CHECK(loaded->stages[0].rate->from_per_s == 2.0);
    CHECK(loaded->stages[1].rate->from_per_s == 0.01);
    CHECK(loaded->stages[1].rate->to_per_s == 2.0);
    auto list = problems(R"(version: 1
target: { base_url: http://x }
scenario: { operations: [ { name: a, path: / } ] }
stages:
  - { name: spaced, rate: 10 /s, duration: 1s }
)");
    REQUIRE(list.size() == 1);
    CHECK(list[0] ==
          "chat.yaml:5:27: stages[0].rate: \"10 /s\" is not a rate: write it without "
          "spaces (10/s)");
}

TEST_CASE("ramp_up + ramp_down longer than the duration is refused with both values") {
    auto list = problems(R"(version: 1
target: { base_url: http://x }
scenario: { operations: [ { name: a, path: / } ] }
stages:
  - { name: ok, vus: 2, ramp_up: 2s, ramp_down: 3s, duration: 5s }
  - { name: long, vus: 2, ramp_up: 4s, ramp_down: 3s, duration: 5s }
)");
    REQUIRE(list.size() == 1);
    CHECK(list[0] ==
          "chat.yaml:6:36: stages[1].ramp_up: ramp_up 4s + ramp_down 3s is longer than "
          "duration 5s (the ramps are part of the duration: shorten them, or scale "
          "every duration with --time-scale)");
}

TEST_CASE(
    "nothing dropped silently: json keys interpolate, x- keys are ignored, header case "
    "and a second merge key are refused") {
    auto loaded = load_pipeline_text_diagnostics(R"(version: 1
x-defaults: &stage { vus: 1, duration: 1s }
target: { base_url: http://x }
scenario:
  operations:
    - { name: a, method: POST, path: /, json: { "${KEY:-fallback}": "$HOME", "${NAME}": 1 } }
stages:
  - { name: smoke, <<: *stage }
)",
                                                 "chat.yaml", env_options({{"NAME", "user"}}));
    REQUIRE(loaded);
    CHECK(loaded->stages[0].vus == 1);
    REQUIRE(loaded->scenario.operations[0].steps[0].body);
    CHECK(loaded->scenario.operations[0].steps[0].body->source ==
          R"({"fallback":"$HOME","user":1})");

    auto list = problems(R"(version: 1
x-a: &a { vus: 1 }
x-b: &b { duration: 1s }
target: { base_url: http://x, headers: { X-Token: a, x-token: b } }
scenario: { operations: [ { name: a, path: / } ] }
stages:
  - { name: smoke, <<: *a, <<: *b }
)");
    REQUIRE(list.size() == 3);
    CHECK(list[0] ==
          "chat.yaml:4:54: target.headers.x-token: header \"x-token\" repeats "
          "\"X-Token\" (line 4): header names are case-insensitive, keep one");
    CHECK(list[1] == "chat.yaml:7:5: stages[0].duration: missing (e.g. duration: 30s)");
    CHECK(list[2] ==
          "chat.yaml:7:28: stages[0].<<: a second merge key (<<) in one mapping: "
          "merge several with one key, <<: [*first, *second]");
}
