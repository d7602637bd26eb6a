// Compiles and links against the installed public headers and library only.
#include <cstdio>
#include <cstring>
#include <lp2p/result.hpp>
#include <lp2p/version.hpp>

int main() {
  const lp2p::Result<int> ok = 42;
  const lp2p::Result<int> failed = lp2p::make_error(lp2p::Errc::truncated, "example");
  if (!ok || *ok != 42 || failed || failed.error().code != lp2p::Errc::truncated) return 1;
  std::printf("lp2p %s found\n", lp2p::kVersion);
  return std::strlen(lp2p::kVersion) > 0 ? 0 : 1;
}
