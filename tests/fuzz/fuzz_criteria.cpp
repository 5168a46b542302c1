// libFuzzer target: any bytes as a criterion expression (`p95 < 250ms over 10s`), through
// parse_criterion with a catalog like a pipeline's. A parse must give a Criterion or an
// invalid_input error, never crash, hang or leak; ErrorCode::internal (the parser's
// catch-all for an exception) aborts here, as does a parsed criterion that breaks the
// contract (non-finite target, empty metric; a baseline-relative one: a target before its
// baseline, or one neither finite nor missing after resolve_baseline). A parsed one is also
// evaluated, on an empty and on a filled Snapshot.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "criteria/criterion.hpp"

namespace {

orch::MetricCatalog fuzz_catalog() {
    orch::MetricCatalog catalog;
    catalog.operations = {"send", "history", "login", "api.v2.send"};
    catalog.body_patterns = {"db_error", "timeout"};
    return catalog;
}

[[noreturn]] void fail(const char* what, std::string_view text) {
    std::fprintf(stderr, "criteria fuzz: %s for \"%.*s\"\n", what, static_cast<int>(text.size()),
                 text.data());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const orch::MetricCatalog catalog = fuzz_catalog();
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = orch::parse_criterion(text, catalog);
    if (!parsed) {
        if (parsed.error().code != orch::ErrorCode::invalid_input) {
            fail(parsed.error().message.c_str(), text);
        }
        return 0;
    }
    if (parsed->metric.empty() || parsed->expr.empty()) {
        fail("parsed criterion breaks the contract", text);
    }
    if (parsed->relative) {
        // A baseline-relative target is NaN until resolved: then finite, or missing.
        if (!std::isnan(parsed->target) || !parsed->lacks_baseline()) {
            fail("a relative criterion has a target before its baseline", text);
        }
        if (orch::evaluate(*parsed, orch::Snapshot{}).pass) {
            fail("a criterion without its baseline passed", text);
        }
        for (double baseline : {0.0, 42.5, -3.0, 1e300}) {
            orch::Criterion resolved = *parsed;
            orch::resolve_baseline(resolved, baseline, "fuzz");
            if (resolved.lacks_baseline() ? !std::isnan(resolved.target)
                                          : !std::isfinite(resolved.target)) {
                fail("a resolved baseline target is neither finite nor missing", text);
            }
        }
        orch::resolve_baseline(*parsed, 42.5, "fuzz");
    }
    if (!std::isfinite(parsed->target)) {
        fail("parsed criterion has a target that is not finite", text);
    }
    if (parsed->window && parsed->window->count() <= 0) {
        fail("parsed window is not positive", text);
    }
    (void)orch::evaluate(*parsed, orch::Snapshot{});
    orch::Snapshot filled;
    filled.set(parsed->metric, 42.5);
    auto result = orch::evaluate(*parsed, filled);
    if (!result.actual) {
        fail("a metric in the snapshot was judged as no data", text);
    }
    return 0;
}
