// A RunReport with every registered secret replaced by `***` in every string it holds
// (names, reasons, hints, log lines, health bodies, executor extras, metric names).
// Reporters escape text for their format (`_` -> `\_`, `&` -> `&amp;`), after which a
// secret no longer matches redact() on the rendered document; redacting the model
// before rendering closes that gap.
#pragma once

#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

/// `report` with redact() applied to every string, JSON string and JSON key in it.
RunReport redacted_report(const RunReport& report);

}  // namespace orch
