// The translation unit that builds the unit tests' precompiled catch.hpp (tests/CMakeLists.txt:
// stagegate_test_pch); every unit-<module> target reuses that header. No code of its own.
