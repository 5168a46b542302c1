#include "core/did_you_mean.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace orch {

namespace {

/// Sum of character differences of two equal-length words.
std::size_t character_gap(std::string_view a, std::string_view b) {
    std::size_t gap = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        gap += static_cast<std::size_t>(std::abs(static_cast<int>(a[i]) - static_cast<int>(b[i])));
    }
    return gap;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    const std::string* best = nullptr;
    std::size_t best_distance = std::string::npos;
    for (const auto& candidate : candidates) {
        std::size_t d = edit_distance(word, candidate);
        const bool nearer = d < best_distance;
        const bool closer_tie = best && d == best_distance && candidate.size() == word.size() &&
                                best->size() == word.size() &&
                                character_gap(word, candidate) < character_gap(word, *best);
        if (nearer || closer_tie) {
            best_distance = d;
            best = &candidate;
        }
    }
    const std::size_t limit = word.size() <= 4 ? 1 : (word.size() <= 8 ? 2 : 3);
    return best && best_distance <= limit ? *best : std::string();
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates,
                         std::string_view otherwise) {
    if (std::string best = closest_match(word, candidates); !best.empty()) {
        return fmt::format(" (did you mean \"{}\"?)", best);
    }
    return otherwise.empty() ? std::string() : fmt::format(" ({})", otherwise);
}

std::string join_names(const std::vector<std::string>& items) {
    return fmt::format("{}", fmt::join(items, ", "));
}

}  // namespace orch
