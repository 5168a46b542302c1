#include "core/exit_code.hpp"

#include <catch2/catch.hpp>

using namespace orch;

TEST_CASE("verdicts map to the SPEC's exit codes and names") {
    CHECK(exit_code_for(Verdict::pass) == 0);
    CHECK(exit_code_for(Verdict::fail) == 1);
    CHECK(exit_code_for(Verdict::invalid) == 2);
    CHECK(exit_code_for(Verdict::error) == 3);
    CHECK(exit_code_for(Verdict::inconclusive) == 4);
    CHECK(exit_code_for(Verdict::interrupted) == 130);
    for (Verdict v : {Verdict::pass, Verdict::fail, Verdict::invalid, Verdict::error,
                      Verdict::inconclusive, Verdict::interrupted, Verdict::skipped}) {
        CHECK(verdict_from_string(to_string(v)) == v);
    }
    CHECK_FALSE(verdict_from_string("MAYBE"));
    CHECK(severity_rank(Verdict::fail) > severity_rank(Verdict::inconclusive));
    CHECK(severity_rank(Verdict::interrupted) > severity_rank(Verdict::error));
}
