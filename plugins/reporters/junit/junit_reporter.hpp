// The JUnit reporter: junit.xml for CI test views (GitHub, GitLab, Jenkins). One
// <testsuite> per stage, one <testcase> per criterion; valid against the Jenkins xUnit
// junit-10.xsd (tests/fixtures/junit/).
#pragma once

#include <memory>

#include "plugin/reporter.hpp"

namespace orch {

// --- Interface ---

/// Writes `junit.xml` (format "junit"):
///  - a failed `fail` criterion is a <failure type="criterion"> ("target / actual");
///  - a missed `warn` criterion passes, with the miss in <system-out>;
///  - criteria of a stage that did not run are <skipped/>;
///  - a stage whose verdict is not explained by a failed criterion (backend crash,
///    executor error, interrupted, inconclusive) gets a testcase "stage" with a <failure>
///    (FAIL) or an <error> carrying its reason;
///  - a run that did not pass without any failing testcase (backend never healthy) gets a
///    suite "stagegate" with an <error> testcase "run".
std::unique_ptr<Reporter> make_junit_reporter();

}  // namespace orch
