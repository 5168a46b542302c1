// A small, fast, per-VU pseudo-random generator: xoshiro256** seeded through splitmix64
// (Blackman & Vigna). Each VU owns one, so drawing operations and variables takes no lock;
// it is not cryptographic and need not be: it only spreads load.
#pragma once

#include <array>
#include <cstdint>

namespace orch::builtin {

// --- Interface ---

class Prng {
  public:
    /// Seeds the state from `seed` with splitmix64, so nearby seeds give unrelated streams.
    explicit Prng(std::uint64_t seed = 0) noexcept;

    std::uint64_t next() noexcept;

    /// Uniform in [0, 1).
    double next_unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /// Uniform in [min, max] (inclusive); `min` when max < min. The modulo bias is below
    /// 2^-40 for ranges under 2^24 and irrelevant for load generation.
    std::int64_t next_in(std::int64_t min, std::int64_t max) noexcept;

  private:
    std::array<std::uint64_t, 4> m_state{};
};

/// One splitmix64 step: advances `state` and returns a well-mixed 64-bit value.
std::uint64_t splitmix64(std::uint64_t& state) noexcept;

// --- Inline implementations ---

inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

inline Prng::Prng(std::uint64_t seed) noexcept {
    for (auto& word : m_state) {
        word = splitmix64(seed);
    }
}

inline std::uint64_t Prng::next() noexcept {
    auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
    std::uint64_t result = rotl(m_state[1] * 5, 7) * 9;
    std::uint64_t t = m_state[1] << 17;
    m_state[2] ^= m_state[0];
    m_state[3] ^= m_state[1];
    m_state[1] ^= m_state[2];
    m_state[0] ^= m_state[3];
    m_state[2] ^= t;
    m_state[3] = rotl(m_state[3], 45);
    return result;
}

inline std::int64_t Prng::next_in(std::int64_t min, std::int64_t max) noexcept {
    if (max <= min) {
        return min;
    }
    std::uint64_t span = static_cast<std::uint64_t>(max) - static_cast<std::uint64_t>(min) + 1;
    std::uint64_t draw = span == 0 ? next() : next() % span;  // span 0: the full 64-bit range
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(min) + draw);
}

}  // namespace orch::builtin
