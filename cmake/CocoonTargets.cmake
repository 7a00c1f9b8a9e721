# SPDX-License-Identifier: Apache-2.0
# Helpers that declare every target of the project (STYLE.md §3): libraries, binaries,
# test executables and fuzzers get the same warnings, sanitizers and include root.

set(COCOON_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wconversion)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++ 12 at -O2/-O3 reports false -Wrestrict / -Wstringop-overread / -Wstringop-overflow
  # inside libstdc++'s std::string and std::vector code (GCC bugs 105329, 105651;
  # e.g. a vector insert after push_back in src/measure/snp.cc); clang builds keep them.
  list(APPEND COCOON_WARNINGS -Wno-restrict -Wno-stringop-overread -Wno-stringop-overflow)
endif()
if(COCOON_WERROR)
  list(APPEND COCOON_WARNINGS -Werror)
endif()

set(COCOON_SANITIZE_FLAGS "")
if(COCOON_SANITIZE)
  list(JOIN COCOON_SANITIZE "," _cocoon_san)
  set(COCOON_SANITIZE_FLAGS -fsanitize=${_cocoon_san} -fno-omit-frame-pointer
      -fno-sanitize-recover=all)
endif()

if(COCOON_BUILD_FUZZERS AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "COCOON_BUILD_FUZZERS needs clang (libFuzzer); use the dev preset")
endif()

# Flags every target of ours gets: warnings, sanitizers, and libFuzzer coverage
# instrumentation when fuzzers are built (so fuzzers see edges inside our libraries).
function(_cocoon_common_flags target)
  target_compile_options(${target} PRIVATE ${COCOON_WARNINGS} ${COCOON_SANITIZE_FLAGS})
  target_link_options(${target} PRIVATE ${COCOON_SANITIZE_FLAGS})
  if(COCOON_BUILD_FUZZERS)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# cocoon_use_coroutines(target PUBLIC|PRIVATE): for targets whose code (or, with PUBLIC,
# whose users' code) compiles C++20 coroutines with Boost.Asio.
function(cocoon_use_coroutines target scope)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    # Asio 1.74 detects co_await support only for GCC and MSVC; clang 14 has it in C++20.
    target_compile_definitions(${target} ${scope} BOOST_ASIO_HAS_CO_AWAIT=1)
    # clang 14's -fsanitize=function cannot compile coroutine frames ("Cannot represent a
    # difference across sections").
    if(COCOON_SANITIZE MATCHES "undefined")
      target_compile_options(${target} ${scope} -fno-sanitize=function)
    endif()
  endif()
endfunction()

# cocoon_library(name SRCS ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...] [SIGN_CONVERSION])
# A static library whose public headers are included as "<folder>/<file>.h" from src/.
function(cocoon_library name)
  cmake_parse_arguments(ARG "SIGN_CONVERSION" "" "SRCS;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  _cocoon_common_flags(${name})
  if(ARG_SIGN_CONVERSION)
    target_compile_options(${name} PRIVATE -Wsign-conversion)
  endif()
endfunction()

# cocoon_binary(name SRCS ... DEPS ...): a thin main() in cmd/, hardened like a daemon.
function(cocoon_binary name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  # cmd/<binary>/ files include each other as "cmd/<binary>/x.h".
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  _cocoon_common_flags(${name})
  target_compile_options(${name} PRIVATE -fstack-protector-strong)
  if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    target_compile_definitions(${name} PRIVATE _FORTIFY_SOURCE=2)
  endif()
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_link_options(${name} PRIVATE -pie -Wl,-z,relro,-z,now)
  target_compile_definitions(${name} PRIVATE COCOON_VERSION="${PROJECT_VERSION}")
endfunction()

# cocoon_test(name SRCS ... DEPS ... LABEL component): one GoogleTest executable per
# component, its tests discovered into ctest and labelled so `ctest -L <component>` works.
function(cocoon_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  _cocoon_common_flags(${name})
  target_compile_definitions(${name} PRIVATE
    COCOON_TESTDATA_DIR="${COCOON_TESTDATA_DIR}"
    COCOON_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    COCOON_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABEL}" DISCOVERY_TIMEOUT 60)
endfunction()

# cocoon_fuzzer(name SRCS ... DEPS ...): fuzz/<name>.cc defines LLVMFuzzerTestOneInput.
# With COCOON_BUILD_FUZZERS it is a libFuzzer binary and ctest fuzzes it for
# COCOON_FUZZ_SECONDS (label fuzz); in every build ctest replays fuzz/corpus/<name>/.
function(cocoon_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  set(corpus ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
  if(COCOON_BUILD_FUZZERS)
    add_executable(${name} ${ARG_SRCS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(${name} ${ARG_SRCS} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  _cocoon_common_flags(${name})
  if(COCOON_BUILD_FUZZERS)
    add_test(NAME fuzz.replay.${name} COMMAND ${name} -runs=0 ${corpus})
    set(work ${PROJECT_BINARY_DIR}/fuzz-work/${name})
    add_test(NAME fuzz.run.${name}
      COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
              $<TARGET_FILE:${name}> -max_total_time=${COCOON_FUZZ_SECONDS}
              -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 ${work} ${corpus})
    set_tests_properties(fuzz.run.${name} PROPERTIES LABELS "fuzz"
      FIXTURES_REQUIRED fuzz-work.${name})
    add_test(NAME fuzz.mkdir.${name} COMMAND ${CMAKE_COMMAND} -E make_directory ${work})
    set_tests_properties(fuzz.mkdir.${name} PROPERTIES FIXTURES_SETUP fuzz-work.${name}
      LABELS "fuzz")
  else()
    add_test(NAME fuzz.replay.${name} COMMAND ${name} ${corpus})
  endif()
  set_tests_properties(fuzz.replay.${name} PROPERTIES LABELS "fuzz;replay")
endfunction()
