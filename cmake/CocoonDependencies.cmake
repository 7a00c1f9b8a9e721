# SPDX-License-Identifier: Apache-2.0
# Every third-party dependency comes from a Debian package (scripts/deps.txt).
find_package(OpenSSL 3.0 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(tl-expected REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(Threads REQUIRED)

# fmt, spdlog and toml++ as our targets link them: Debian's shared libraries, or for the lean
# guest agent (COCOON_GUEST_AGENT_STATIC) their header-only forms, compiled into the binary.
# Debian ships no static archive of them, and their three .so files cost the idle agent
# 0.66 MiB of Rss (bench/agent/README.md). Each build uses one form throughout.
if(COCOON_GUEST_AGENT_STATIC)
  set_property(TARGET spdlog::spdlog_header_only
               PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads fmt::fmt-header-only)
  add_library(cocoon_tomlplusplus_header_only INTERFACE)
  target_compile_definitions(cocoon_tomlplusplus_header_only INTERFACE TOML_HEADER_ONLY=1)
  target_compile_features(cocoon_tomlplusplus_header_only INTERFACE cxx_std_17)
  set(COCOON_FMT fmt::fmt-header-only)
  set(COCOON_SPDLOG spdlog::spdlog_header_only)
  set(COCOON_TOMLPLUSPLUS cocoon_tomlplusplus_header_only)
else()
  set(COCOON_FMT fmt::fmt)
  set(COCOON_SPDLOG spdlog::spdlog)
  set(COCOON_TOMLPLUSPLUS tomlplusplus::tomlplusplus)
endif()
if(COCOON_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(COCOON_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Libraries found through pkg-config become PkgConfig::<NAME> imported targets.
find_package(PkgConfig REQUIRED)
# Boost.Asio/Beast are header-only in 1.74 (Boost.System is header-only since 1.69).
find_package(Boost 1.74 REQUIRED)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(TSS2 REQUIRED IMPORTED_TARGET tss2-esys tss2-mu tss2-rc tss2-tctildr)
