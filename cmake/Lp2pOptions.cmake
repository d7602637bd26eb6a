# Build options. Every target of the project picks up warnings, sanitizers and fuzzing
# instrumentation through the `lp2p_build_flags` interface library.
option(LP2P_WERROR "Treat compiler warnings as errors (on in CI)" OFF)
option(LP2P_FUZZ "Build libFuzzer targets (needs clang)" OFF)
option(LP2P_BUILD_TESTS "Build the test suite" ON)
option(LP2P_BUILD_BENCH "Build the benchmarks (Google Benchmark)" ON)
set(LP2P_SANITIZE "" CACHE STRING "Sanitizers: empty, 'address,undefined' or 'thread'")
set(LP2P_FUZZ_SECONDS 20 CACHE STRING "How long the fuzz smoke tests run under ctest")

# No -Wnull-dereference: g++ 12 at -O2 reports it inside Boost.Asio and CLI11 after inlining,
# where it cannot be silenced per header.
add_library(lp2p_build_flags INTERFACE)
target_compile_options(lp2p_build_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wimplicit-fallthrough
  $<$<BOOL:${LP2P_WERROR}>:-Werror>)

if(LP2P_SANITIZE)
  if(NOT LP2P_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "LP2P_SANITIZE must be 'address,undefined' or 'thread', not '${LP2P_SANITIZE}'")
  endif()
  target_compile_options(lp2p_build_flags INTERFACE
    -fsanitize=${LP2P_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(lp2p_build_flags INTERFACE -fsanitize=${LP2P_SANITIZE})
endif()

if(LP2P_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LP2P_FUZZ=ON needs clang (configure with -DCMAKE_CXX_COMPILER=clang++)")
  endif()
  # Instrument everything for coverage; only fuzz executables link the libFuzzer main.
  target_compile_options(lp2p_build_flags INTERFACE -fsanitize=fuzzer-no-link)
endif()
