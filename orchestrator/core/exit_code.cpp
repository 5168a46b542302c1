#include "core/exit_code.hpp"

namespace orch {

int exit_code_for(Verdict verdict) {
    // No default: with -Wswitch -Werror a new enumerator without its case fails the build
    // (a lookup table would not); the same shape as every enum-to-text switch here.
    switch (verdict) {
        case Verdict::pass:
        case Verdict::skipped:
            return k_exit_pass;
        case Verdict::fail:
            return k_exit_fail;
        case Verdict::invalid:
            return k_exit_invalid;
        case Verdict::error:
            return k_exit_error;
        case Verdict::inconclusive:
            return k_exit_inconclusive;
        case Verdict::interrupted:
            return k_exit_interrupted;
    }
    return k_exit_error;
}

std::string_view to_string(Verdict verdict) {
    // No default: with -Wswitch -Werror a new enumerator without its case fails the build
    // (a lookup table would not); the same shape as every enum-to-text switch here.
    switch (verdict) {
        case Verdict::pass:
            return "PASS";
        case Verdict::fail:
            return "FAIL";
        case Verdict::invalid:
            return "INVALID";
        case Verdict::error:
            return "ERROR";
        case Verdict::inconclusive:
            return "INCONCLUSIVE";
        case Verdict::interrupted:
            return "INTERRUPTED";
        case Verdict::skipped:
            return "SKIPPED";
    }
    return "ERROR";
}

std::optional<Verdict> verdict_from_string(std::string_view text) {
    for (Verdict v : {Verdict::pass, Verdict::fail, Verdict::invalid, Verdict::error,
                      Verdict::inconclusive, Verdict::interrupted, Verdict::skipped}) {
        if (to_string(v) == text) {
            return v;
        }
    }
    return std::nullopt;
}

int severity_rank(Verdict verdict) {
    // No default: with -Wswitch -Werror a new enumerator without its case fails the build
    // (a lookup table would not); the same shape as every enum-to-text switch here.
    switch (verdict) {
        case Verdict::skipped:
            return 0;
        case Verdict::pass:
            return 1;
        case Verdict::inconclusive:
            return 2;
        case Verdict::fail:
            return 3;
        case Verdict::invalid:
            return 4;
        case Verdict::error:
            return 5;
        case Verdict::interrupted:
            return 6;
    }
    return 5;
}

}  // namespace orch
