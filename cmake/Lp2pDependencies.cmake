# Third-party libraries, all from Debian 12 packages installed by scripts/setup.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBCBOR REQUIRED IMPORTED_TARGET libcbor)
# QUIC: ngtcp2 0.12 with its GnuTLS crypto backend (../shared/NGTCP2-NOTES.md).
pkg_check_modules(NGTCP2 REQUIRED IMPORTED_TARGET libngtcp2>=0.12 libngtcp2_crypto_gnutls>=0.12)
pkg_check_modules(GNUTLS REQUIRED IMPORTED_TARGET gnutls>=3.7.5)
# The agent's persistent state (src/store, docs/store.md).
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3>=3.37)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto)
# Debian's default Boost 1.74 breaks under g++ 12 with -std=c++20; 1.81 does not (ARCHITECTURE.md §3).
find_package(Boost 1.81...<1.82 CONFIG REQUIRED COMPONENTS headers)
find_package(spdlog REQUIRED)
find_package(Threads REQUIRED)
find_package(CLI11 REQUIRED)
if(LP2P_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(LP2P_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
