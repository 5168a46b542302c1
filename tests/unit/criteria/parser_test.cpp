#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "criteria/criterion.hpp"
#include "support/criteria_parse.hpp"

using namespace orch;
using namespace std::chrono_literals;

namespace {

const MetricCatalog k_catalog{
    {"send", "history", "send_for_read", "mark_read"}, {"prisma", "pool_timeout"}, {"version"}};

Criterion parse(std::string_view text) {
    return test::parse_ok(text, k_catalog);
}

/// The error message of a criterion that must not parse.
std::string error_of(std::string_view text, const MetricCatalog& catalog = k_catalog) {
    return test::parse_error(text, catalog);
}

}  // namespace

TEST_CASE("every comparison operator parses") {
    CHECK(parse("p95 < 250ms").op == CompareOp::lt);
    CHECK(parse("p95 <= 250ms").op == CompareOp::le);
    CHECK(parse("rps > 10").op == CompareOp::gt);
    CHECK(parse("rps >= 10").op == CompareOp::ge);
    CHECK(parse("errors == 0").op == CompareOp::eq);
    CHECK(parse("errors != 0").op == CompareOp::ne);
}

TEST_CASE("a parsed criterion keeps its text, metric, target and unit") {
    Criterion c = parse("send.p95 < 250ms");
    CHECK(c.expr == "send.p95 < 250ms");
    CHECK(c.name == "send.p95 < 250ms");
    CHECK(c.metric == "send.p95");
    CHECK(c.op == CompareOp::lt);
    CHECK(c.target == 250.0);
    CHECK(c.unit == MetricUnit::milliseconds);
    CHECK(c.severity == Severity::fail);
    CHECK_FALSE(c.abort);
    CHECK_FALSE(c.window);
}

TEST_CASE("whitespace is optional and tolerated") {
    Criterion tight = parse("send.p95<250ms");
    CHECK(tight.metric == "send.p95");
    CHECK(tight.target == 250.0);
    Criterion loose = parse("  \tsend.p95   <=\t 250 ms  over   10s \n");
    CHECK(loose.metric == "send.p95");
    CHECK(loose.op == CompareOp::le);
    CHECK(loose.target == 250.0);
    CHECK(loose.window == 10s);
    CHECK(loose.expr == "send.p95   <=\t 250 ms  over   10s");
    CHECK(parse("errors.status_429==0").target == 0.0);
    CHECK(parse("success_rate>99.5%").target == 99.5);
}

TEST_CASE("latency metrics take ms, s or us, and a bare number is ms") {
    Criterion seconds = parse("p95 < 1.5s");
    CHECK(seconds.target == 1500.0);
    CHECK(seconds.unit == MetricUnit::milliseconds);
    CHECK(parse("p99 < 500us").target == Approx(0.5));
    CHECK(parse("max < 250").target == 250.0);
    CHECK(parse("avg < 12.25ms").target == 12.25);
    CHECK(parse("timing.waiting < 2s").target == 2000.0);
    CHECK(parse("history.timing.connecting < 1ms").unit == MetricUnit::milliseconds);
    for (auto name : {"min", "avg", "p50", "p75", "p90", "p95", "p99", "p999", "max"}) {
        CHECK(parse(std::string(name) + " < 1s").unit == MetricUnit::milliseconds);
    }
}

TEST_CASE("percent, rate and count metrics take their own units") {
    Criterion rate = parse("success_rate > 99%");
    CHECK(rate.target == 99.0);
    CHECK(rate.unit == MetricUnit::percent);
    CHECK(parse("error_rate < 0.5%").target == 0.5);
    CHECK(parse("error_rate < 0.5%").unit == MetricUnit::percent);
    Criterion rps = parse("rps >= 200/s");
    CHECK(rps.target == 200.0);
    CHECK(rps.unit == MetricUnit::per_second);
    CHECK(parse("send.rps > 50").target == 50.0);
    Criterion requests = parse("requests > 1000");
    CHECK(requests.unit == MetricUnit::count);
    CHECK(parse("errors.timeout == 0").unit == MetricUnit::count);
    CHECK(parse("dropped == 0").unit == MetricUnit::count);
    CHECK(parse("scheduled > 0").unit == MetricUnit::count);
    CHECK(parse("iterations > 0").unit == MetricUnit::count);
    for (auto kind : {"connection_refused", "timeout", "connection_reset", "dns", "tls",
                      "status_4xx", "status_429", "status_5xx", "expect", "interrupted", "other"}) {
        CHECK(parse("errors." + std::string(kind) + " == 0").unit == MetricUnit::count);
        CHECK(parse("send.errors." + std::string(kind) + " == 0").unit == MetricUnit::count);
    }
}

TEST_CASE("backend metrics have their units, and sizes convert to MB") {
    CHECK(parse("backend.crashes == 0").unit == MetricUnit::count);
    CHECK(parse("backend.health_failures < 3").unit == MetricUnit::count);
    Criterion kb = parse("backend.rss_peak < 512KB");
    CHECK(kb.unit == MetricUnit::megabytes);
    CHECK(kb.target == 0.5);
    CHECK(parse("backend.rss_end < 2GB").target == 2048.0);
    CHECK(parse("backend.rss_start < 300MB").target == 300.0);
    CHECK(parse("backend.rss_start < 300").target == 300.0);
    Criterion growth = parse("backend.memory_growth < 20%");
    CHECK(growth.unit == MetricUnit::percent);
    CHECK(growth.target == 20.0);
}

TEST_CASE("backend.health takes any JSON pointer") {
    Criterion c = parse("backend.health./database/errors < 5");
    CHECK(c.metric == "backend.health./database/errors");
    CHECK(c.unit == MetricUnit::number);
    CHECK(c.target == 5.0);
    CHECK(parse("backend.health./pool/a~1b/0 <= 1").metric == "backend.health./pool/a~1b/0");
    CHECK(parse("backend.health./ == 1").metric == "backend.health./");
    CHECK(error_of("backend.health.database < 5") ==
          "\"backend.health.database\" needs a JSON pointer after \"backend.health.\" (e.g. "
          "backend.health./database/errors; write ~0 for ~ and ~1 for /)");
    CHECK_FALSE(parse_criterion("backend.health. < 5", k_catalog));
    CHECK_FALSE(parse_criterion("backend.health < 5", k_catalog));
    CHECK_FALSE(parse_criterion("backend.health./a~2 < 5", k_catalog));
    CHECK(error_of("backend.health./x < 5ms") ==
          "unit \"ms\" does not fit backend.health./x (a number: use a bare number)");
}

TEST_CASE("body patterns resolve with and without an operation prefix") {
    Criterion total = parse("errors.body.prisma == 0");
    CHECK(total.metric == "errors.body.prisma");
    CHECK(total.unit == MetricUnit::count);
    Criterion op = parse("send.errors.body.pool_timeout < 3");
    CHECK(op.metric == "send.errors.body.pool_timeout");
    CHECK(op.unit == MetricUnit::count);
    CHECK(error_of("errors.body.prizma == 0") ==
          "unknown body pattern \"prizma\" in \"errors.body.prizma\" (did you mean \"prisma\"?)");
    CHECK(error_of("send.errors.body.zzz == 0") ==
          "unknown body pattern \"zzz\" in \"send.errors.body.zzz\" (body_patterns: prisma, "
          "pool_timeout)");
    CHECK(error_of("errors.body.prisma == 0", MetricCatalog{{"send"}, {}, {}}) ==
          "unknown body pattern \"prisma\" in \"errors.body.prisma\" (the pipeline defines no "
          "body_patterns)");
}

TEST_CASE("operation prefixes pick the longest defined operation") {
    CHECK(parse("send_for_read.p95 < 1s").metric == "send_for_read.p95");
    MetricCatalog dotted{{"chat", "chat.send"}, {}, {}};
    auto c = parse_criterion("chat.send.p95 < 1s", dotted);
    REQUIRE(c);
    CHECK(c->metric == "chat.send.p95");
    CHECK(c->unit == MetricUnit::milliseconds);
}

TEST_CASE("a unit that does not fit the metric names its kind and the accepted units") {
    CHECK(error_of("send.p95 < 5%") ==
          "unit \"%\" does not fit send.p95 (a latency: use ms, s or us)");
    CHECK(error_of("p95 < 5sec") == "unit \"sec\" does not fit p95 (a latency: use ms, s or us)");
    CHECK(error_of("success_rate > 99ms") ==
          "unit \"ms\" does not fit success_rate (a percentage: use %)");
    CHECK(error_of("rps > 5ms") ==
          "unit \"ms\" does not fit rps (a rate: use /s or a bare number)");
    CHECK(error_of("errors == 5%") ==
          "unit \"%\" does not fit errors (a count: use a bare number)");
    CHECK(error_of("backend.crashes == 0s") ==
          "unit \"s\" does not fit backend.crashes (a count: use a bare number)");
    CHECK(error_of("backend.rss_peak < 5mb") ==
          "unit \"mb\" does not fit backend.rss_peak (a memory size: use KB, MB or GB)");
    CHECK(error_of("backend.memory_growth < 5MB") ==
          "unit \"MB\" does not fit backend.memory_growth (a percentage: use %)");
    CHECK(error_of("requests > 5/s") ==
          "unit \"/s\" does not fit requests (a count: use a bare number)");
}

TEST_CASE("unknown operations and metrics are errors with a did-you-mean") {
    CHECK(error_of("sned.p95 < 250ms") ==
          "unknown operation \"sned\" in \"sned.p95\" (did you mean \"send\"?)");
    CHECK(error_of("p96 < 250ms") == "unknown metric \"p96\" (did you mean \"p95\"?)");
    CHECK(error_of("send.p96 < 250ms") ==
          "unknown metric \"p96\" in \"send.p96\" (did you mean \"p95\"?)");
    CHECK(error_of("p(95) < 250ms") == "unknown metric \"p(95)\" (did you mean \"p95\"?)");
    CHECK(error_of("hsitory.p95 < 1s") ==
          "unknown operation \"hsitory\" in \"hsitory.p95\" (did you mean \"history\"?)");
    CHECK(error_of("errors.timeot == 0") ==
          "unknown metric \"errors.timeot\" (did you mean \"errors.timeout\"?)");
    CHECK(error_of("succes_rate > 99%") ==
          "unknown metric \"succes_rate\" (did you mean \"success_rate\"?)");
    CHECK(error_of("backend.rss_peek < 5MB") ==
          "unknown metric \"backend.rss_peek\" (did you mean \"backend.rss_peak\"?)");
    CHECK(error_of("zzz.p95 < 1s") ==
          "unknown operation \"zzz\" in \"zzz.p95\" (operations: send, history, send_for_read, "
          "mark_read)");
    CHECK(error_of("send.p95 < 1s", MetricCatalog{}) ==
          "unknown operation \"send\" in \"send.p95\" (the pipeline defines no operations)");
    std::string no_hint = error_of("latency < 1s");
    CHECK(no_hint.rfind("unknown metric \"latency\" (metrics: requests, rps,", 0) == 0);
}

TEST_CASE("misplaced prefixes are explained") {
    CHECK(error_of("send < 250ms") ==
          "\"send\" is an operation: name one of its metrics, e.g. send.p95 or send.error_rate");
    CHECK(error_of("send.backend.crashes == 0") ==
          "\"send.backend.crashes\": backend metrics take no operation prefix (write "
          "\"backend.crashes\")");
    CHECK(error_of("send.dropped == 0") ==
          "\"send.dropped\": dropped is counted for the whole stage only (write \"dropped\")");
}

TEST_CASE("windows are durations of at least a second") {
    CHECK(parse("send.p95 < 250ms over 10s").window == 10s);
    CHECK(parse("p95 < 250ms over 1m30s").window == 90s);
    CHECK(parse("requests > 5 over 1s").window == 1s);
    Criterion bare = parse("errors.status_5xx == 0 over 30s");
    CHECK(bare.target == 0.0);
    CHECK(bare.window == 30s);
    CHECK(error_of("p95 < 250ms over 500ms") ==
          "window \"500ms\" in \"p95 < 250ms over 500ms\" is too short (at least 1s)");
    CHECK(error_of("p95 < 250ms over 10") ==
          "bad window in \"p95 < 250ms over 10\": \"10\" is not a duration (try 10s)");
    CHECK(error_of("p95 < 250ms over") ==
          "\"over\" needs a duration in \"p95 < 250ms over\" (e.g. over 10s)");
    CHECK_FALSE(parse_criterion("p95 < 250ms over 10s 20s", k_catalog));
    CHECK_FALSE(parse_criterion("p95 < 250ms over .s", k_catalog));
    CHECK_FALSE(parse_criterion("p95 < 250ms over " + std::string(400, '9') + "s", k_catalog));
}

TEST_CASE("numbers are plain decimals within 1e15") {
    CHECK(parse("p95 < .5s").target == 500.0);
    CHECK(parse("p95 < 5.s").target == 5000.0);
    CHECK(parse("rps > +5").target == 5.0);
    CHECK(parse("backend.health./delta > -2.5").target == -2.5);
    CHECK(parse("requests < 1000000000000000").target == 1e15);
    CHECK(error_of("requests < 10000000000000000") ==
          "value \"10000000000000000\" after \"<\" in \"requests < 10000000000000000\" is out "
          "of range (at most 1e15 in magnitude)");
    CHECK(error_of("requests < " + std::string(400, '9')).find("is out of range") !=
          std::string::npos);
    CHECK(error_of("p95 < nan") ==
          "\"nan\" is not a usable value after \"<\" in \"p95 < nan\" (write a finite number)");
    CHECK(error_of("p95 < inf") ==
          "\"inf\" is not a usable value after \"<\" in \"p95 < inf\" (write a finite number)");
    CHECK(error_of("p95 < -INF") ==
          "\"-INF\" is not a usable value after \"<\" in \"p95 < -INF\" (write a finite number)");
    CHECK(error_of("p95 < -") == "expected a number after \"<\" in \"p95 < -\"");
    CHECK(error_of("p95 < 1e5") ==
          "value \"1e5\" after \"<\" in \"p95 < 1e5\": exponents are not supported (write a "
          "plain decimal)");
    CHECK(error_of("p95 < abc") == "expected a number after \"<\" in \"p95 < abc\"");
    CHECK(error_of("p95 < .") == "expected a number after \"<\" in \"p95 < .\"");
    CHECK(error_of("p95 < 1.2.3") == "unexpected \".3\" after the value in \"p95 < 1.2.3\"");
}

TEST_CASE("malformed criteria are errors with a precise message") {
    CHECK(error_of("") == "empty criterion (write METRIC OP VALUE, e.g. \"p95 < 250ms\")");
    CHECK(error_of("   \t ") == "empty criterion (write METRIC OP VALUE, e.g. \"p95 < 250ms\")");
    CHECK(error_of("p95 <") == "missing value after \"<\" in \"p95 <\"");
    CHECK(error_of("< 5") ==
          "missing metric before \"< 5\" in \"< 5\" (write METRIC OP VALUE, e.g. \"p95 < "
          "250ms\")");
    CHECK(error_of("p95 << 5") == "expected a number after \"<\" in \"p95 << 5\"");
    CHECK(error_of("p95") == "missing operator after \"p95\" in \"p95\" (use < <= > >= == !=)");
    CHECK(error_of("p95 5ms") ==
          "expected an operator after \"p95\" in \"p95 5ms\" (use < <= > >= == !=)");
    CHECK(error_of("p95 = 5ms") == "\"=\" is not an operator in \"p95 = 5ms\" (use ==)");
    CHECK(error_of("p95 =< 5ms") == "\"=<\" is not an operator in \"p95 =< 5ms\" (use <=)");
    CHECK(error_of("p95 => 5ms") == "\"=>\" is not an operator in \"p95 => 5ms\" (use >=)");
    CHECK(error_of("errors ! 0") == "\"!\" is not an operator in \"errors ! 0\" (use !=)");
    CHECK(error_of("p95 < 5ms and more") ==
          "unexpected \"and more\" after the value in \"p95 < 5ms and more\"");
    CHECK(error_of("p95 < 5ms;") == "unexpected \";\" after the value in \"p95 < 5ms;\"");
    CHECK(error_of("p95\xff < 5") == "criterion is not valid UTF-8");
}

TEST_CASE("long and hostile input is rejected without crashing and with a short message") {
    std::string long_metric(10'000, 'p');
    std::string message = error_of(long_metric + " < 5");
    CHECK(message.size() < 300);
    CHECK(error_of("p95 < 5" + std::string(10'000, 'x')).size() < 300);
    CHECK(error_of(std::string(10'000, '<')).size() < 300);
    CHECK(error_of(std::string(10'000, ' ')).rfind("empty criterion", 0) == 0);
    // A long message is cut at a UTF-8 boundary, so it stays valid UTF-8.
    std::string accented;
    for (int i = 0; i < 100; ++i) {
        accented += "\xc3\xa9";  // é
    }
    std::string cut = error_of(accented + " < 5");
    CHECK(cut.find("...\"") != std::string::npos);
    for (std::string bad : {"\xc3", "\xc3\x28", "\xe2\x82", "\xed\xa0\x80", "\xf5\x80\x80\x80",
                            "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\x80"}) {
        CHECK(error_of("p95 < 5 " + bad) == "criterion is not valid UTF-8");
    }
    CHECK(error_of(std::string("p95\0< 5", 7)) ==
          "criterion contains a control character (byte 0x00)");
    CHECK(error_of("p95 < 5\x1b[31m") == "criterion contains a control character (byte 0x1B)");
}

TEST_CASE("random input never crashes the parser") {
    // A deterministic mini-fuzzer: random mixes of grammar tokens and random bytes.
    const std::vector<std::string> tokens = {"p95",
                                             "send.",
                                             "errors.",
                                             "body.",
                                             "backend.",
                                             "health.",
                                             "/",
                                             "<",
                                             "<=",
                                             ">",
                                             "==",
                                             "!=",
                                             "=",
                                             "!",
                                             " ",
                                             "\t",
                                             "5",
                                             "1.5",
                                             "-",
                                             "+",
                                             ".",
                                             "ms",
                                             "s",
                                             "us",
                                             "%",
                                             "KB",
                                             "/s",
                                             "over",
                                             "10s",
                                             "1e9",
                                             "nan",
                                             "~",
                                             "\xff",
                                             "\xc3\xa9",
                                             "prisma",
                                             "rps",
                                             "9999999999999999"};
    std::mt19937 rng(20240601);
    std::uniform_int_distribution<std::size_t> pick(0, tokens.size() - 1);
    std::uniform_int_distribution<int> length(0, 12);
    std::uniform_int_distribution<int> byte(0, 255);
    std::size_t parsed = 0;
    for (int i = 0; i < 20'000; ++i) {
        std::string text;
        int n = length(rng);
        for (int k = 0; k < n; ++k) {
            if (k % 5 == 4) {
                text += static_cast<char>(byte(rng));
            } else {
                text += tokens[pick(rng)];
            }
        }
        auto result = parse_criterion(text, k_catalog);
        if (result) {
            ++parsed;
            CHECK(std::isfinite(result->target));
            CHECK(!result->metric.empty());
        } else {
            CHECK(!result.error().message.empty());
        }
    }
    CHECK(parsed > 0);
}

TEST_CASE("metric_unit resolves names without parsing a criterion") {
    CHECK(metric_unit("p95", k_catalog) == MetricUnit::milliseconds);
    CHECK(metric_unit("history.success_rate", k_catalog) == MetricUnit::percent);
    CHECK(metric_unit("backend.rss_peak", k_catalog) == MetricUnit::megabytes);
    CHECK(metric_unit("backend.health./a", k_catalog) == MetricUnit::number);
    CHECK(metric_unit("mark_read.errors.body.prisma", k_catalog) == MetricUnit::count);
    CHECK_FALSE(metric_unit("", k_catalog));
    CHECK_FALSE(metric_unit("backend", k_catalog));
    CHECK_FALSE(metric_unit("send.", k_catalog));
    CHECK_FALSE(metric_unit("send", k_catalog));
    CHECK_FALSE(metric_unit("latency_uncorrected.p95", k_catalog));
}

TEST_CASE("a percentage takes %: a k6-style fraction is refused with the likely meaning") {
    CHECK(error_of("success_rate > 0.99") ==
          "\"success_rate > 0.99\": success_rate is a percentage and takes % (0.99 -> did you "
          "mean 99%?)");
    CHECK(error_of("send.error_rate < 0.01") ==
          "\"send.error_rate < 0.01\": send.error_rate is a percentage and takes % (0.01 -> did "
          "you mean 1%?)");
    CHECK(error_of("backend.memory_growth < 20") ==
          "\"backend.memory_growth < 20\": backend.memory_growth is a percentage and takes % (20 "
          "-> did you mean 20%?)");
}

TEST_CASE("a criterion that can never fail or never pass is refused with the reason") {
    CHECK(error_of("error_rate < 101%") ==
          "\"error_rate < 101%\" can never fail: a percentage of requests is between 0% and 100%");
    CHECK(error_of("success_rate > 150%") ==
          "\"success_rate > 150%\" can never pass: a percentage of requests is between 0% and "
          "100%");
    CHECK(error_of("success_rate >= 0%") ==
          "\"success_rate >= 0%\" can never fail: a percentage of requests is between 0% and "
          "100%");
    CHECK(error_of("p95 < -5ms") == "\"p95 < -5ms\" can never pass: a latency is never negative");
    CHECK(error_of("errors < 0") == "\"errors < 0\" can never pass: a count is never negative");
    CHECK(error_of("send.rps > -1") ==
          "\"send.rps > -1\" can never fail: a rate is never negative");
    // Bounds that can go either way stay valid.
    CHECK(parse("error_rate < 100%").target == 100.0);
    CHECK(parse("success_rate == 100%").target == 100.0);
    CHECK(parse("errors <= 0").target == 0.0);
    CHECK(parse("backend.memory_growth < 150%").target == 150.0);
    CHECK(parse("backend.health./x > -5").target == -5.0);
}

TEST_CASE("a status class without its prefix suggests errors.status_NXX") {
    CHECK(error_of("errors.5xx == 0") ==
          "unknown metric \"errors.5xx\" (did you mean \"errors.status_5xx\"?)");
    CHECK(error_of("send.errors.429 == 0") ==
          "unknown metric \"errors.429\" in \"send.errors.429\" (did you mean "
          "\"errors.status_429\"?)");
}

TEST_CASE("a tag selector reads as the per-tag-value metric") {
    Criterion c = parse("error_rate{version=v2} < 5%");
    CHECK(c.metric == "tags.version.v2.error_rate");
    CHECK(c.unit == MetricUnit::percent);
    CHECK(c.target == 5.0);
    Criterion p95 = parse("p95{ version = v2 } < 300ms");
    CHECK(p95.metric == "tags.version.v2.p95");
    CHECK(p95.unit == MetricUnit::milliseconds);
    CHECK(parse("errors.status_5xx{version=v1}==0").metric == "tags.version.v1.errors.status_5xx");
}

TEST_CASE("a bad tag selector is an error that says what to write") {
    CHECK(error_of("error_rate{verison=v2} < 5%").find("unknown tag \"verison\"") !=
          std::string::npos);
    CHECK(error_of("error_rate{verison=v2} < 5%").find("did you mean \"version\"?") !=
          std::string::npos);
    CHECK(error_of("error_rate{version=v2} < 5%", MetricCatalog{{"send"}, {}, {}})
              .find("declare it in scenario.tag_responses") != std::string::npos);
    CHECK(error_of("error_rate{version=v2 < 5%").find("missing \"}\"") != std::string::npos);
    CHECK(error_of("error_rate{version} < 5%").find("write {TAG=VALUE}") != std::string::npos);
    CHECK(error_of("error_rate{version=1.2} < 5%").find("write \"1_2\"") != std::string::npos);
    CHECK(error_of("send.p95{version=v2} < 5ms").find("without operation prefix") !=
          std::string::npos);
    CHECK(error_of("dropped{version=v2} < 5").find("without operation prefix") !=
          std::string::npos);
    CHECK(error_of("p59{version=v2} < 5ms").find("unknown metric \"p59\"") != std::string::npos);
    CHECK(error_of("error_rate{version=v2} < 5").find("takes %") != std::string::npos);
}
