# INTERFACE targets every first-party target links privately:
#   stagegate::settings  C++20, warnings (errors when STAGEGATE_WERROR), sanitizers.
add_library(stagegate_settings INTERFACE)
add_library(stagegate::settings ALIAS stagegate_settings)
target_compile_features(stagegate_settings INTERFACE cxx_std_20)
target_compile_options(stagegate_settings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused
                       -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
if(STAGEGATE_WERROR)
  target_compile_options(stagegate_settings INTERFACE -Werror)
endif()
if(STAGEGATE_SANITIZE)
  target_compile_options(stagegate_settings INTERFACE -fsanitize=address,undefined
                         -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(stagegate_settings INTERFACE -fsanitize=address,undefined)
endif()
set(CMAKE_CXX_EXTENSIONS OFF)
find_package(Threads REQUIRED)
target_link_libraries(stagegate_settings INTERFACE Threads::Threads)
# Links with lld when the compiler can use it (scripts/setup installs it): the same output,
# but linking a test binary with its debug info takes about a tenth of the wall time of
# GNU ld, which is most of an incremental rebuild after touching one file.
option(STAGEGATE_LLD "Link with lld when it is available" ON)
if(STAGEGATE_LLD)
  include(CheckLinkerFlag)
  check_linker_flag(CXX -fuse-ld=lld STAGEGATE_HAVE_LLD)
  if(STAGEGATE_HAVE_LLD)
    target_link_options(stagegate_settings INTERFACE -fuse-ld=lld)
  endif()
endif()
# ccache when it is there and nobody chose a launcher (rebuilds in other worktrees and
# after a branch switch come from the cache; a clean CI machine has none and loses nothing).
find_program(STAGEGATE_CCACHE ccache)
if(STAGEGATE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${STAGEGATE_CCACHE}")
  set(CMAKE_C_COMPILER_LAUNCHER "${STAGEGATE_CCACHE}")
endif()
# The fuzz build: libFuzzer's coverage hooks (the fuzz executables add -fsanitize=fuzzer
# for its main) with ASan+UBSan, every UB report fatal so the fuzzer counts it as a crash.
if(STAGEGATE_FUZZ)
  target_compile_options(stagegate_settings INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                         -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(stagegate_settings INTERFACE -fsanitize=address,undefined)
endif()
# Unity builds: a target's .cpp files are compiled a few at a time as one translation unit
# (CMake's UNITY_BUILD). Most of a clean build's CPU went to compiling, at -O2, the same
# inline code of the standard library, {fmt}, nlohmann/json and yaml-cpp once per file; a
# batch compiles it once. The batches are halves of the target (at least 4 files each): -j2
# builds a module's two halves at once, and touching one file recompiles half its module.
# STAGEGATE_UNITY_BATCH sets a fixed batch size instead (0: the whole target in one).
# Names defined in an anonymous namespace must differ between the files of one target.
option(STAGEGATE_UNITY "Compile each target's sources in unity batches" ON)
set(STAGEGATE_UNITY_BATCH "" CACHE STRING "Source files per unity batch (empty: half the target's)")
function(stagegate_unity TARGET)
  if(NOT STAGEGATE_UNITY)
    return()
  endif()
  set_target_properties(${TARGET} PROPERTIES UNITY_BUILD ON UNITY_BUILD_MODE BATCH)
  if(STAGEGATE_UNITY_BATCH STREQUAL "")
    # Halves of the target's sources once its folder is read: some are added after the
    # target is made (the core's embedded schemas). EVAL, so that the deferred call gets
    # the target's name now (DEFER evaluates its arguments when it runs).
    cmake_language(EVAL CODE "cmake_language(DEFER CALL stagegate_unity_halves [[${TARGET}]])")
  else()
    set_target_properties(${TARGET} PROPERTIES UNITY_BUILD_BATCH_SIZE ${STAGEGATE_UNITY_BATCH})
  endif()
endfunction()
function(stagegate_unity_halves TARGET)
  get_target_property(sources ${TARGET} SOURCES)
  list(FILTER sources INCLUDE REGEX "\\.(cpp|cxx|cc)$")
  list(LENGTH sources count)
  math(EXPR batch "(${count} + 1) / 2")
  if(batch LESS 4)
    set(batch 4)
  endif()
  set_target_properties(${TARGET} PROPERTIES UNITY_BUILD_BATCH_SIZE ${batch})
endfunction()
# Debug information of the RelWithDebInfo build (the default preset: what the tests, the
# demo and CI build, and the Dockerfile's .deb): line tables only (-g1), which is what a
# backtrace, a sanitizer or fuzzer report and `perf report` use. Full -g made a file at -O2
# cost ~40% more CPU to compile (9.9 against 7.0 CPU-s for the pipeline module's first unity
# batch). For a debugger session with variables and types: the asan preset (Debug, -g), or
# -DSTAGEGATE_DEBUG_INFO=full here.
set(STAGEGATE_DEBUG_INFO "lines" CACHE STRING "RelWithDebInfo debug info: lines (-g1) or full (-g)")
set_property(CACHE STAGEGATE_DEBUG_INFO PROPERTY STRINGS lines full)
if(STAGEGATE_DEBUG_INFO STREQUAL "lines")
  foreach(lang C CXX)
    string(REGEX REPLACE "(^| )-g( |$)" "\\1-g1\\2" CMAKE_${lang}_FLAGS_RELWITHDEBINFO
                         "${CMAKE_${lang}_FLAGS_RELWITHDEBINFO}")
  endforeach()
elseif(NOT STAGEGATE_DEBUG_INFO STREQUAL "full")
  message(FATAL_ERROR "STAGEGATE_DEBUG_INFO is \"${STAGEGATE_DEBUG_INFO}\": write lines or full")
endif()
