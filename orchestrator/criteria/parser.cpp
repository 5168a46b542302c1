// The criterion parser: one pass over the text with a cursor, no regex, no exceptions
// (the input comes from users and will be fuzzed). Grammar, as k6 writes its thresholds':
//
//   criterion := ws metric ws op ws value [ ws "over" ws duration ] ws
//              | ws prom ws op ws number ws [ unit ] [ ws "over" ws duration ] ws
//   metric    := 1*( any byte except whitespace, "<>=!" and "{" ) [ "{" TAG "=" VALUE "}" ]
//                ; [OPERATION "."] NAME; with a tag selector (scenario tag_responses) NAME
//                ; only, read as the Snapshot name "tags.TAG.VALUE.NAME"
//   prom      := "prom" ws "(" ws ( dquoted | squoted ) ws ")"
//   dquoted   := '"' *( '\"' | any byte except '"' ) '"'     ; \" is a literal "
//   squoted   := "'" *( "\'" | any byte except "'" ) "'"     ; \' is a literal '
//                ; every other backslash is kept as is (PromQL's own escapes pass through)
//   op        := "<=" | "<" | ">=" | ">" | "==" | "!="
//   value     := number ws [ unit ] | relative
//   number    := [ "+" | "-" ] ( 1*digit [ "." *digit ] | "." 1*digit )   ; |value| <= 1e15
//   unit      := "us" | "ms" | "s" | "%" | "KB" | "MB" | "GB" | "/s"
//   duration  := what parse_duration accepts ("10s", "1m30s"), at least 1s
//   ws        := *( " " | "\t" | "\r" | "\n" )
//   relative  := term | ( "max" | "min" ) ws "(" ws term ws 1*( "," ws term ws ) ")"
//   term      := "baseline" [ ws ( "+" | "-" ) ws number ws ( "%" | unit ) ]
//              | "baseline" ws "*" ws number
//              | number ws [ unit ]                 ; a constant, only inside max()/min()
//
// In a relative value `%` is percent of the baseline value; any other unit must fit the
// metric like an absolute value's, and a factor after `*` is a bare positive number.
//
// A prom() value is converted to Prometheus' base units (seconds, bytes, ratios): `%` is
// /100, ms and us are seconds, KB MB GB are 1024-based bytes, /s and a bare number as is.
//
// The text must be valid UTF-8 without control characters. NAME is resolved (and its unit
// found) by metric_unit() in metric_unit.cpp; the metric decides which units fit (a latency
// takes ms, s or us; a bare number is ms) and the value is converted to its canonical unit.
#include "criteria/criterion.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>

#include "core/did_you_mean.hpp"
#include "core/utf8.hpp"
#include "metrics/stage_metrics.hpp"

namespace orch {

namespace {

constexpr double k_max_magnitude = 1e15;
constexpr std::string_view k_operators = "< <= > >= == !=";
constexpr std::string_view k_example = "write METRIC OP VALUE, e.g. \"p95 < 250ms\"";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_operator_char(char c) {
    return c == '<' || c == '>' || c == '=' || c == '!';
}

struct UnitRule {
    MetricUnit unit;
    std::string_view kind;  ///< for messages: "a latency"
    std::string_view use;   ///< for messages: "use ms, s or us"
};

constexpr std::array<UnitRule, 6> k_unit_rules = {{
    {MetricUnit::count, "a count", "use a bare number"},
    {MetricUnit::per_second, "a rate", "use /s or a bare number"},
    {MetricUnit::percent, "a percentage", "use %"},
    {MetricUnit::milliseconds, "a latency", "use ms, s or us"},
    {MetricUnit::megabytes, "a memory size", "use KB, MB or GB"},
    {MetricUnit::number, "a number", "use a bare number"},
}};

/// The units a value may be written in, per metric unit, and the factor to the metric's
/// canonical unit (count and number take a bare number only).
struct UnitFactor {
    MetricUnit metric_unit;
    std::string_view unit;
    double factor;
};

constexpr std::array<UnitFactor, 8> k_unit_factors = {{
    {MetricUnit::milliseconds, "ms", 1.0},
    {MetricUnit::milliseconds, "s", 1000.0},
    {MetricUnit::milliseconds, "us", 0.001},
    {MetricUnit::percent, "%", 1.0},
    {MetricUnit::megabytes, "MB", 1.0},
    {MetricUnit::megabytes, "KB", 1.0 / 1024.0},
    {MetricUnit::megabytes, "GB", 1024.0},
    {MetricUnit::per_second, "/s", 1.0},
}};

/// The factor that converts a value written with `unit` into `metric_unit`, or nullopt
/// when the unit does not fit. An empty unit (a bare number) is the canonical unit.
std::optional<double> unit_factor(MetricUnit metric_unit, std::string_view unit) {
    if (unit.empty()) {
        return 1.0;
    }
    for (const UnitFactor& f : k_unit_factors) {
        if (f.metric_unit == metric_unit && f.unit == unit) {
            return f.factor;
        }
    }
    return std::nullopt;
}

/// Reads `text` left to right; every parse_* step returns an error message or advances.
class CriterionParser {
  public:
    CriterionParser(std::string_view text, const MetricCatalog& catalog)
        : m_text(text), m_catalog(catalog) {}

    Result<Criterion> parse() {
        if (!is_valid_utf8(m_text)) {
            return error("criterion is not valid UTF-8");
        }
        for (char c : m_text) {
            auto byte = static_cast<unsigned char>(c);
            if ((byte < 0x20 && !is_space(c)) || byte == 0x7F) {
                return error(
                    fmt::format("criterion contains a control character (byte 0x{:02X})", byte));
            }
        }
        skip_space();
        if (at_end()) {
            return error("empty criterion (" + std::string(k_example) + ")");
        }
        if (at_prom()) {
            return parse_prom();
        }
        Criterion criterion;
        std::string_view metric =
            take_while([](char c) { return !is_space(c) && !is_operator_char(c) && c != '{'; });
        if (metric.empty()) {
            return error("missing metric before " + quoted_line(rest()) + " in " +
                         quoted_line(m_text) + " (" + std::string(k_example) + ")");
        }
        std::optional<std::string> tagged;  // "tags.TAG.VALUE.NAME" for METRIC{TAG=VALUE}
        if (!at_end() && m_text[m_pos] == '{') {
            auto name = parse_tag_selector(metric);
            if (!name) {
                return tl::unexpected(name.error());
            }
            tagged = std::move(*name);
        }
        skip_space();
        auto op = parse_operator(metric);
        if (!op) {
            return tl::unexpected(op.error());
        }
        skip_space();
        std::optional<RelativeValue> relative;
        double number = 0;
        std::string_view unit;
        if (at_relative()) {
            auto parsed = parse_relative();
            if (!parsed) {
                return tl::unexpected(parsed.error());
            }
            relative = std::move(*parsed);
        } else {
            auto value = parse_number(*op);
            if (!value) {
                return tl::unexpected(value.error());
            }
            number = *value;
            unit = take_unit_if_any();
        }
        auto window = parse_window_tail(relative ? " (" + std::string(k_relative_example) + ")"
                                                 : std::string());
        if (!window) {
            return tl::unexpected(window.error());
        }

        auto unit_of_metric = metric_unit(metric, m_catalog);
        if (!unit_of_metric) {
            return tl::unexpected(unit_of_metric.error());
        }
        if (relative) {
            for (std::size_t i = 0; i < relative->units.size(); ++i) {
                BaselineTerm& term = relative->formula.terms[i];
                if (term.kind != BaselineTerm::Kind::offset &&
                    term.kind != BaselineTerm::Kind::constant) {
                    continue;
                }
                auto factor = unit_factor(*unit_of_metric, relative->units[i]);
                if (!factor) {
                    return unit_error(relative->units[i], metric, *unit_of_metric);
                }
                term.amount *= *factor;
            }
            criterion.relative = std::move(relative->formula);
        }
        if (!relative && unit.empty() && *unit_of_metric == MetricUnit::percent) {
            return bare_percentage_error(number, metric);
        }
        auto factor = unit_factor(*unit_of_metric, unit);
        if (!factor) {
            return unit_error(unit, metric, *unit_of_metric);
        }
        if (!relative) {
            if (auto why = never_decides(metric, *unit_of_metric, *op, number * *factor)) {
                return error(quoted_line(trimmed(m_text)) + " " + *why);
            }
        }

        criterion.expr = std::string(trimmed(m_text));
        criterion.name = criterion.expr;
        criterion.metric = tagged ? *tagged : std::string(metric);
        criterion.op = *op;
        criterion.target = relative ? std::nan("") : number * *factor;
        criterion.unit = *unit_of_metric;
        criterion.window = *window;
        return criterion;
    }

  private:
    static constexpr std::string_view k_prom_example =
        "e.g. prom(\"sum(rate(http_requests_total{code=~'5..'}[1m]))\") < 5";
    static constexpr std::size_t k_max_promql = 4096;

    /// `prom` followed by `(`.
    bool at_prom() const {
        if (!at_word("prom")) {
            return false;
        }
        std::string_view r = rest().substr(4);
        std::size_t k = 0;
        while (k < r.size() && is_space(r[k])) {
            ++k;
        }
        return k < r.size() && r[k] == '(';
    }

    /// Prometheus' base units: seconds, bytes, ratios (a percentage is a fraction).
    static std::optional<double> prom_unit_factor(std::string_view unit) {
        struct Factor {
            std::string_view unit;
            double factor;
        };
        constexpr std::array<Factor, 9> k_factors = {{{"", 1.0},
                                                      {"%", 0.01},
                                                      {"s", 1.0},
                                                      {"ms", 0.001},
                                                      {"us", 0.000001},
                                                      {"KB", 1024.0},
                                                      {"MB", 1024.0 * 1024.0},
                                                      {"GB", 1024.0 * 1024.0 * 1024.0},
                                                      {"/s", 1.0}}};
        for (const auto& f : k_factors) {
            if (f.unit == unit) {
                return f.factor;
            }
        }
        return std::nullopt;
    }

    /// `prom("QUERY") OP VALUE [over WINDOW]`: the cursor is at `prom`.
    Result<Criterion> parse_prom() {
        std::size_t start = m_pos;
        m_pos += 4;
        skip_space();
        ++m_pos;  // '(' (at_prom saw it)
        skip_space();
        if (at_end() || (m_text[m_pos] != '"' && m_text[m_pos] != '\'')) {
            return error("prom(...) in " + quoted_line(m_text) + " takes the PromQL in quotes (" +
                         std::string(k_prom_example) + ")");
        }
        char quote = m_text[m_pos++];
        std::string query;
        bool closed = false;
        while (!at_end()) {
            char c = m_text[m_pos];
            if (c == '\\' && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == quote) {
                query += quote;
                m_pos += 2;
                continue;
            }
            ++m_pos;
            if (c == quote) {
                closed = true;
                break;
            }
            query += c;
        }
        std::string other = quote == '"' ? "'" : "\"";
        std::string same(1, quote);
        if (!closed) {
            return error("the PromQL in " + quoted_line(m_text) + " has no closing " + same +
                         " (end it with " + same + ")");
        }
        skip_space();
        if (at_end() || m_text[m_pos] != ')') {
            return error("expected \")\" after the PromQL's closing " + same + " in " +
                         quoted_line(m_text) + (at_end() ? "" : ", got " + quoted_line(rest())) +
                         " (a " + same + " inside the query ends it: use " + other +
                         " inside, or write \\" + same + ")");
        }
        ++m_pos;
        std::string_view metric = m_text.substr(start, m_pos - start);
        if (trimmed(query).empty()) {
            return error("prom(...) in " + quoted_line(m_text) + " has an empty query (" +
                         std::string(k_prom_example) + ")");
        }
        if (query.size() > k_max_promql) {
            return error("the PromQL in " + quoted_line(m_text) + " is longer than " +
                         std::to_string(k_max_promql) + " bytes");
        }
        skip_space();
        auto op = parse_operator(metric);
        if (!op) {
            return tl::unexpected(op.error());
        }
        skip_space();
        if (at_relative()) {
            return error(quoted_line(trimmed(m_text)) +
                         ": a prom(...) criterion takes a plain value, not a baseline formula");
        }
        auto value = parse_number(*op);
        if (!value) {
            return tl::unexpected(value.error());
        }
        const std::string_view unit = take_unit_if_any();
        auto window = parse_window_tail("");
        if (!window) {
            return tl::unexpected(window.error());
        }
        auto factor = prom_unit_factor(unit);
        if (!factor) {
            return error("unit " + quoted_line(unit) + " does not fit prom(...) in " +
                         quoted_line(m_text) +
                         " (Prometheus uses base units: use %, s, ms, us, KB, MB, GB, /s or a "
                         "bare number)");
        }
        Criterion criterion;
        criterion.expr = std::string(trimmed(m_text));
        criterion.name = criterion.expr;
        criterion.metric = std::string(metric);
        criterion.promql = std::move(query);
        criterion.op = *op;
        criterion.target = *value * *factor;
        criterion.unit = MetricUnit::number;
        criterion.window = *window;
        return criterion;
    }

    /// A parsed relative value; the units of offsets and constants are converted once the
    /// metric's unit is known (`units[i]` is the unit written with `formula.terms[i]`).
    struct RelativeValue {
        BaselineFormula formula;
        std::vector<std::string_view> units;
    };

    static constexpr std::string_view k_relative_example =
        "e.g. baseline + 10%, baseline * 1.3, baseline + 50ms or "
        "max(baseline * 1.3, baseline + 50ms)";

    /// A k6 habit: `rate<0.01` is a fraction. stagegate's percentages say `%`, so a bare
    /// number is refused rather than read as 0.01%.
    tl::unexpected<Error> bare_percentage_error(double number, std::string_view metric) const {
        double percent = std::fabs(number) <= 1 ? number * 100 : number;
        return error(quoted_line(trimmed(m_text)) + ": " + std::string(metric) +
                     " is a percentage and takes % (" + format_number(number) +
                     " -> did you mean " + format_number(percent) + "%?)");
    }

    static std::string format_number(double value) { return fmt::format("{:.10g}", value); }

    /// Why `metric OP target` (target in the metric's unit) holds for every possible value
    /// (the gate can never fail) or for none (it can never pass), or nullopt when neither.
    /// Percent of requests lies in 0..100; latencies, counts, rates and sizes are >= 0.
    static std::optional<std::string> never_decides(std::string_view metric, MetricUnit unit,
                                                    CompareOp op, double target) {
        std::string_view name =
            metric.substr(metric.rfind('.') == std::string_view::npos ? 0 : metric.rfind('.') + 1);
        double lo = 0;
        double hi = std::numeric_limits<double>::infinity();
        std::string range;
        if (unit == MetricUnit::percent && (name == "success_rate" || name == "error_rate")) {
            hi = 100;
            range = "a percentage of requests is between 0% and 100%";
        } else if (unit == MetricUnit::milliseconds || unit == MetricUnit::count ||
                   unit == MetricUnit::per_second || unit == MetricUnit::megabytes) {
            range = std::string(unit == MetricUnit::milliseconds ? "a latency"
                                : unit == MetricUnit::count      ? "a count"
                                : unit == MetricUnit::per_second ? "a rate"
                                                                 : "a memory size") +
                    " is never negative";
        } else {
            return std::nullopt;
        }
        bool always = false;
        bool never = false;
        switch (op) {
            case CompareOp::lt:
                always = target > hi;
                never = target <= lo;
                break;
            case CompareOp::le:
                always = target >= hi;
                never = target < lo;
                break;
            case CompareOp::gt:
                always = target < lo;
                never = target >= hi;
                break;
            case CompareOp::ge:
                always = target <= lo;
                never = target > hi;
                break;
            case CompareOp::eq:
                never = target < lo || target > hi;
                break;
            case CompareOp::ne:
                always = target < lo || target > hi;
                break;
        }
        if (never) {
            return "can never pass: " + range;
        }
        if (always) {
            return "can never fail: " + range;
        }
        return std::nullopt;
    }

    tl::unexpected<Error> unit_error(std::string_view unit, std::string_view metric,
                                     MetricUnit metric_unit) const {
        const UnitRule& rule = k_unit_rules[static_cast<std::size_t>(metric_unit)];
        return error("unit " + quoted_line(unit) + " does not fit " + std::string(metric) + " (" +
                     std::string(rule.kind) + ": " + std::string(rule.use) + ")");
    }

    std::string_view take_unit() {
        return take_while([](char c) { return is_alpha(c) || c == '%' || c == '/'; });
    }

    /// The unit written after a number, or empty when none is (the criterion ends or
    /// `over` follows).
    std::string_view take_unit_if_any() {
        skip_space();
        if (at_end() || at_keyword("over")) {
            return {};
        }
        return take_unit();
    }

    /// What may follow the value: `over DURATION` (the window) or nothing. Anything else is
    /// an error; `hint` is added to its message.
    Result<std::optional<Duration>> parse_window_tail(const std::string& hint) {
        skip_space();
        if (at_end()) {
            return std::optional<Duration>();
        }
        if (!at_keyword("over")) {
            return error("unexpected " + quoted_line(rest()) + " after the value in " +
                         quoted_line(m_text) + hint);
        }
        m_pos += 4;
        auto window = parse_window();
        if (!window) {
            return tl::unexpected(window.error());
        }
        return std::optional<Duration>(*window);
    }

    /// `word` starts here and is not followed by a letter, digit or '_'.
    bool at_word(std::string_view word) const {
        std::string_view r = rest();
        if (r.substr(0, word.size()) != word) {
            return false;
        }
        if (r.size() == word.size()) {
            return true;
        }
        char next = r[word.size()];
        return !is_alpha(next) && !is_digit(next) && next != '_';
    }

    /// The value starts with `baseline`, `max(` or `min(`.
    bool at_relative() const {
        if (at_word("baseline")) {
            return true;
        }
        for (std::string_view word : {"max", "min"}) {
            if (at_word(word)) {
                std::string_view r = rest().substr(word.size());
                std::size_t k = 0;
                while (k < r.size() && is_space(r[k])) {
                    ++k;
                }
                if (k < r.size() && r[k] == '(') {
                    return true;
                }
            }
        }
        return false;
    }

    Result<RelativeValue> parse_relative() {
        RelativeValue value;
        std::string_view pick_word = at_word("max") ? "max" : at_word("min") ? "min" : "";
        if (pick_word.empty()) {
            if (auto ok = parse_term(value, false); !ok) {
                return tl::unexpected(ok.error());
            }
            return value;
        }
        value.formula.pick =
            pick_word == "max" ? BaselineFormula::Pick::max : BaselineFormula::Pick::min;
        m_pos += pick_word.size();
        skip_space();
        ++m_pos;  // '(' (at_relative saw it)
        while (true) {
            skip_space();
            if (auto ok = parse_term(value, true); !ok) {
                return tl::unexpected(ok.error());
            }
            skip_space();
            if (!at_end() && m_text[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (!at_end() && m_text[m_pos] == ')') {
                ++m_pos;
                break;
            }
            return error(
                std::string(pick_word) + "(...) in " + quoted_line(m_text) +
                " expects \",\" or \")\"" +
                (at_end() ? std::string(" before the end") : " instead of " + quoted_line(rest())) +
                " (" + std::string(k_relative_example) + ")");
        }
        if (value.formula.terms.size() < 2) {
            return error(std::string(pick_word) + "(...) in " + quoted_line(m_text) +
                         " needs at least two terms (" + std::string(k_relative_example) + ")");
        }
        bool names_baseline = false;
        for (const auto& term : value.formula.terms) {
            names_baseline = names_baseline || term.kind != BaselineTerm::Kind::constant;
        }
        if (!names_baseline) {
            return error(std::string(pick_word) + "(...) in " + quoted_line(m_text) +
                         " does not use baseline (write a plain value instead)");
        }
        return value;
    }

    /// One term; a constant (`100ms`) only when `in_pick` (inside max()/min()).
    Result<void> parse_term(RelativeValue& value, bool in_pick) {
        BaselineTerm term;
        std::string_view unit;
        if (!at_word("baseline")) {
            if (!in_pick) {
                return error("expected baseline in " + quoted_line(m_text) + " (" +
                             std::string(k_relative_example) + ")");
            }
            auto number = parse_number_after("in max()/min() of " + quoted_line(m_text));
            if (!number) {
                return tl::unexpected(number.error());
            }
            skip_space();
            term.kind = BaselineTerm::Kind::constant;
            term.amount = *number;
            if (!at_keyword("over")) {
                unit = take_unit();
            }
            value.formula.terms.push_back(term);
            value.units.push_back(unit);
            return {};
        }
        m_pos += std::string_view("baseline").size();
        std::size_t before_space = m_pos;
        skip_space();
        char c = at_end() ? '\0' : m_text[m_pos];
        if (c == '+' || c == '-' || c == '*') {
            ++m_pos;
            skip_space();
            std::string after =
                "after \"baseline " + std::string(1, c) + "\" in " + quoted_line(m_text);
            if (!at_end() && (m_text[m_pos] == '+' || m_text[m_pos] == '-')) {
                return error("expected a number " + after + " (write the sign once)");
            }
            auto number = parse_number_after(after);
            if (!number) {
                return tl::unexpected(number.error());
            }
            skip_space();
            if (!at_keyword("over")) {
                unit = take_unit();
            }
            if (c == '*') {
                if (!unit.empty()) {
                    return error("a factor takes no unit: " + quoted_line(unit) + " " + after +
                                 " (e.g. baseline * 1.3)");
                }
                if (*number <= 0) {
                    return error("factor " + after + " must be above 0 (e.g. baseline * 1.3)");
                }
                term.kind = BaselineTerm::Kind::factor;
                term.amount = *number;
            } else if (unit == "%") {
                term.kind = BaselineTerm::Kind::percent;
                term.amount = c == '-' ? -*number : *number;
                unit = {};
            } else {
                term.kind = BaselineTerm::Kind::offset;
                term.amount = c == '-' ? -*number : *number;
            }
        } else if (c == '/') {
            return error("\"baseline /\" in " + quoted_line(m_text) +
                         ": write a factor instead (baseline * 0.5)");
        } else {
            m_pos = before_space;
            term.kind = BaselineTerm::Kind::same;
        }
        value.formula.terms.push_back(term);
        value.units.push_back(unit);
        return {};
    }

    bool at_end() const { return m_pos >= m_text.size(); }
    std::string_view rest() const { return m_text.substr(std::min(m_pos, m_text.size())); }

    static std::string_view trimmed(std::string_view text) {
        while (!text.empty() && is_space(text.front())) {
            text.remove_prefix(1);
        }
        while (!text.empty() && is_space(text.back())) {
            text.remove_suffix(1);
        }
        return text;
    }

    void skip_space() {
        while (!at_end() && is_space(m_text[m_pos])) {
            ++m_pos;
        }
    }

    template <class Pred>
    std::string_view take_while(Pred pred) {
        std::size_t start = m_pos;
        while (!at_end() && pred(m_text[m_pos])) {
            ++m_pos;
        }
        return m_text.substr(start, m_pos - start);
    }

    /// `word` starts here and is followed by whitespace or the end.
    bool at_keyword(std::string_view word) const {
        std::string_view r = rest();
        return r.substr(0, word.size()) == word &&
               (r.size() == word.size() || is_space(r[word.size()]));
    }

    tl::unexpected<Error> error(std::string message) const {
        return fail(ErrorCode::invalid_input, std::move(message));
    }

    /// `{TAG=VALUE}` after `metric` (the cursor on "{"): the tag must be one of the
    /// scenario's tag_responses and `metric` a request metric without operation prefix.
    /// Returns the Snapshot name "tags.TAG.VALUE.METRIC".
    Result<std::string> parse_tag_selector(std::string_view metric) {
        std::size_t close = m_text.find('}', m_pos);
        if (close == std::string_view::npos) {
            return error("missing \"}\" after " + quoted_line(m_text.substr(m_pos)) + " in " +
                         quoted_line(m_text) +
                         " (write METRIC{TAG=VALUE}, e.g. error_rate{version=v2})");
        }
        std::string_view selector = m_text.substr(m_pos + 1, close - m_pos - 1);
        m_pos = close + 1;
        std::size_t eq = selector.find('=');
        std::string_view tag = trimmed(selector.substr(0, eq));
        std::string_view value =
            eq == std::string_view::npos ? std::string_view() : trimmed(selector.substr(eq + 1));
        if (eq == std::string_view::npos || tag.empty() || value.empty()) {
            return error("bad tag selector " + quoted_line("{" + std::string(selector) + "}") +
                         " in " + quoted_line(m_text) +
                         " (write {TAG=VALUE}, e.g. error_rate{version=v2})");
        }
        const auto& tags = m_catalog.tags;
        if (std::find(tags.begin(), tags.end(), tag) == tags.end()) {
            std::string hint = closest_match(tag, tags);
            return error("unknown tag " + quoted_line(tag) + " in " + quoted_line(m_text) +
                         (!hint.empty() ? " (did you mean " + quoted_line(hint) + "?)"
                          : tags.empty()
                              ? " (declare it in scenario.tag_responses, e.g. "
                                "tag_responses: { " +
                                    std::string(tag) + ": X-Version })"
                              : " (scenario.tag_responses declares: " + join_names(tags) + ")"));
        }
        if (tag_value_name(value) != value) {
            return error("tag value " + quoted_line(value) + " in " + quoted_line(m_text) +
                         " has characters a metric name cannot keep (write " +
                         quoted_line(tag_value_name(value)) +
                         ": letters, digits, _ and - are kept, any other byte becomes _)");
        }
        auto unit = metric_unit(metric, m_catalog);
        if (!unit) {
            return tl::unexpected(unit.error());
        }
        const auto& plain = request_metric_names();
        bool request_metric =
            (std::find(plain.begin(), plain.end(), metric) != plain.end() && metric != "dropped" &&
             metric != "scheduled" && metric != "iterations") ||
            metric.substr(0, 12) == "errors.body.";
        if (!request_metric) {
            return error(quoted_line(m_text) + ": a tag selector takes a request metric without " +
                         "operation prefix (requests, rps, error_rate, p95, errors.KIND...), not " +
                         quoted_line(metric));
        }
        return "tags." + std::string(tag) + "." + std::string(value) + "." + std::string(metric);
    }

    Result<CompareOp> parse_operator(std::string_view metric) {
        std::string_view r = rest();
        std::string hint = " (use " + std::string(k_operators) + ")";
        if (r.empty()) {
            return error("missing operator after " + quoted_line(metric) + " in " +
                         quoted_line(m_text) + hint);
        }
        struct Spelling {
            std::string_view text;
            CompareOp op;
        };
        // Two-character operators first, so "<=" is not read as "<" then "=".
        constexpr std::array<Spelling, 6> k_spellings = {{{"<=", CompareOp::le},
                                                          {">=", CompareOp::ge},
                                                          {"==", CompareOp::eq},
                                                          {"!=", CompareOp::ne},
                                                          {"<", CompareOp::lt},
                                                          {">", CompareOp::gt}}};
        for (const auto& s : k_spellings) {
            if (r.substr(0, s.text.size()) == s.text) {
                m_pos += s.text.size();
                return s.op;
            }
        }
        if (r.substr(0, 2) == "=<" || r.substr(0, 2) == "=>") {
            std::string fixed{r[1], '='};
            return error(quoted_line(r.substr(0, 2)) + " is not an operator in " +
                         quoted_line(m_text) + " (use " + fixed + ")");
        }
        if (r.front() == '=') {
            return error("\"=\" is not an operator in " + quoted_line(m_text) + " (use ==)");
        }
        if (r.front() == '!') {
            return error("\"!\" is not an operator in " + quoted_line(m_text) + " (use !=)");
        }
        return error("expected an operator after " + quoted_line(metric) + " in " +
                     quoted_line(m_text) + hint);
    }

    Result<double> parse_number(CompareOp op) {
        return parse_number_after("after \"" + std::string(to_string(op)) + "\" in " +
                                  quoted_line(m_text));
    }

    /// A number at the cursor; `after` places it in messages ("after \"<\" in ...").
    Result<double> parse_number_after(const std::string& after) {
        if (at_end()) {
            return error("missing value " + after);
        }
        std::size_t start = m_pos;
        bool negative = false;
        if (m_text[m_pos] == '+' || m_text[m_pos] == '-') {
            negative = m_text[m_pos] == '-';
            ++m_pos;
        }
        std::size_t digits_start = m_pos;
        std::size_t digits = take_while(is_digit).size();
        if (!at_end() && m_text[m_pos] == '.') {
            ++m_pos;
            digits += take_while(is_digit).size();
        }
        std::string_view number = m_text.substr(digits_start, m_pos - digits_start);
        std::string_view written = m_text.substr(start, m_pos - start);
        if (digits == 0) {
            m_pos = digits_start;
            std::string_view word = take_while([](char c) { return is_alpha(c); });
            std::string lower;
            for (char c : word) {
                lower += static_cast<char>(c | 0x20);
            }
            if (lower == "nan" || lower == "inf" || lower == "infinity") {
                return error(quoted_line(m_text.substr(start, m_pos - start)) +
                             " is not a usable value " + after + " (write a finite number)");
            }
            return error("expected a number " + after);
        }
        if (!at_end() && (m_text[m_pos] == 'e' || m_text[m_pos] == 'E')) {
            std::size_t save = m_pos++;
            if (!at_end() && (m_text[m_pos] == '+' || m_text[m_pos] == '-')) {
                ++m_pos;
            }
            if (!take_while(is_digit).empty()) {
                return error("value " + quoted_line(m_text.substr(start, m_pos - start)) + " " +
                             after + ": exponents are not supported (write a plain decimal)");
            }
            m_pos = save;  // not an exponent: "e..." is read as a unit
        }
        double value = 0;
        auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
        if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(value) ||
            value > k_max_magnitude) {
            return error("value " + quoted_line(written) + " " + after +
                         " is out of range (at most 1e15 in magnitude)");
        }
        return negative ? -value : value;
    }

    Result<Duration> parse_window() {
        skip_space();
        std::string_view text = trimmed(rest());
        if (text.empty()) {
            return error("\"over\" needs a duration in " + quoted_line(m_text) +
                         " (e.g. over 10s)");
        }
        Result<Duration> window = fail(ErrorCode::internal, "");
        try {
            window = parse_duration(text);
        } catch (const std::exception&) {
            window = fail(ErrorCode::invalid_input, quoted_line(text) + " is not a duration");
        }
        if (!window) {
            return error("bad window in " + quoted_line(m_text) + ": " + window.error().message);
        }
        if (*window < std::chrono::seconds(1)) {
            return error("window " + quoted_line(text) + " in " + quoted_line(m_text) +
                         " is too short (at least 1s)");
        }
        m_pos = m_text.size();
        return *window;
    }

    std::string_view m_text;
    const MetricCatalog& m_catalog;
    std::size_t m_pos = 0;
};

}  // namespace

Result<Criterion> parse_criterion(std::string_view text, const MetricCatalog& catalog) {
    try {
        return CriterionParser(text, catalog).parse();
    } catch (const std::exception& e) {
        // Only allocation failures can get here; keep the promise that nothing escapes.
        return fail(ErrorCode::internal, std::string("cannot parse criterion: ") + e.what());
    }
}

}  // namespace orch
