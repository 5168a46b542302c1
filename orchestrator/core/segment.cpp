#include "core/segment.hpp"

#include <charconv>
#include <ctime>

namespace orch {

namespace {

constexpr std::uint32_t k_max_segments = 1000000;

bool parse_uint(std::string_view text, std::uint64_t& out) {
    if (text.empty() || text.size() > 9) {
        return false;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

bool digits(std::string_view text, std::size_t at, std::size_t n, int& out) {
    if (at + n > text.size()) {
        return false;
    }
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        out = out * 10 + (text[i] - '0');
    }
    return true;
}

}  // namespace

Result<Segment> parse_segment(std::string_view text) {
    std::string shown(text);
    std::size_t slash = text.find('/');
    std::uint64_t index = 0;
    std::uint64_t count = 0;
    if (slash == std::string_view::npos || !parse_uint(text.substr(0, slash), index) ||
        !parse_uint(text.substr(slash + 1), count)) {
        return fail(ErrorCode::invalid_input,
                    "--segment " + shown +
                        ": expected I/N with whole numbers, segment I of N counted from 0 "
                        "(e.g. --segment 0/3, 1/3 and 2/3 for three machines)");
    }
    if (count < 1 || count > k_max_segments) {
        return fail(ErrorCode::invalid_input, "--segment " + shown + ": N must be from 1 to " +
                                                  std::to_string(k_max_segments));
    }
    if (index >= count) {
        return fail(ErrorCode::invalid_input,
                    "--segment " + shown + ": I must be below N (segments are numbered 0 to " +
                        std::to_string(count - 1) + ")");
    }
    return Segment{static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(count)};
}

Result<std::int64_t> parse_rfc3339(std::string_view text) {
    auto bad = [&](std::string_view what) -> Result<std::int64_t> {
        return fail(ErrorCode::invalid_input, "--start-at " + std::string(text) + ": " +
                                                  std::string(what) +
                                                  " (use RFC 3339, e.g. 2026-12-03T10:15:00Z or "
                                                  "2026-12-03T11:15:00+01:00)");
    };
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
        !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, hour) ||
        text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
        !digits(text, 17, 2, second)) {
        return bad("not a date and time");
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return bad("a field is out of range");
    }
    std::size_t at = 19;
    std::int64_t fraction_ns = 0;
    if (at < text.size() && text[at] == '.') {
        ++at;
        std::int64_t scale = 100000000;
        std::size_t first = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            fraction_ns += (text[at] - '0') * scale;
            scale /= 10;
            ++at;
        }
        if (at == first) {
            return bad("no digits after the decimal point");
        }
    }
    std::int64_t offset_s = 0;
    if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
        ++at;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        int oh = 0, om = 0;
        if (!digits(text, at + 1, 2, oh) || at + 3 >= text.size() || text[at + 3] != ':' ||
            !digits(text, at + 4, 2, om) || oh > 23 || om > 59) {
            return bad("bad time zone offset");
        }
        offset_s = (text[at] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        at += 6;
    } else {
        return bad("no time zone (end with Z or an offset such as +01:00)");
    }
    if (at != text.size()) {
        return bad("unexpected text at the end");
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    std::time_t utc = ::timegm(&tm);
    if (tm.tm_mday != day) {
        return bad("no such day");
    }
    return (static_cast<std::int64_t>(utc) - offset_s) * 1000000000 + fraction_ns;
}

}  // namespace orch
