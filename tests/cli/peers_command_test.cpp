// `lp2p peers`: listing, forget, grant and revoke on a store seeded through the store API, with
// the command's streams captured and its exit statuses checked against its --help.
#include "peers_command.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "store/store.hpp"

namespace lp2p::cli {
namespace {

const store::SystemTime kT0{std::chrono::seconds(1'700'000'000)};
const std::string kLaptop = "LAPxAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const std::string kPhone = "LAPyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class PeersCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("lp2p-peers-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    auto opened = store::Store::open(dir_);
    ASSERT_TRUE(opened) << opened.error().describe();
    store_ = std::move(*opened);
    store::KnownPeer laptop{kLaptop, "Laptop", "ThinkPad", "t1", 3, {}, {"[fe80::1%eth0]:4433"}};
    ASSERT_TRUE(store_->note_peer(laptop, kT0));
    ASSERT_TRUE(store_->mark_authenticated(kLaptop, kT0));
    ASSERT_TRUE(store_->put_grant({kLaptop, "https://drop.example", std::nullopt, kT0}));
    store::KnownPeer phone{kPhone, "Phone", "Pixel", "t2", 1, {}, {}};
    ASSERT_TRUE(store_->note_peer(phone, kT0 + std::chrono::seconds(1)));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs `lp2p ARGS --state-dir DIR` as main() would (parse errors exit 2).
  Outcome run(const std::string& args, const std::filesystem::path& state_dir = {}) {
    CLI::App app{"lp2p"};
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    const Io io{in, out, err, false};
    Outcome result;
    result.exit_code = 0;
    add_peers_command(app, io, result.exit_code);
    try {
      app.parse(args + " --state-dir " + (state_dir.empty() ? dir_ : state_dir).string(), false);
    } catch (const CLI::ParseError& e) {
      result.exit_code = e.get_exit_code() == 0 ? 0 : 2;
    }
    result.out = out.str();
    result.err = err.str();
    return result;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(PeersCommandTest, ListsPeersAsATable) {
  const Outcome r = run("peers");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Laptop"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("LAPxAAAA"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("paired 20"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not paired"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[fe80::1%eth0]:4433"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("https://drop.example"), std::string::npos) << r.out;
  // Most recently seen first.
  EXPECT_LT(r.out.find("Phone"), r.out.find("Laptop")) << r.out;
}

TEST_F(PeersCommandTest, ListsPeersAsJsonLines) {
  const Outcome r = run("peers --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> peers;
  for (std::string line; std::getline(lines, line);) peers.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(peers.size(), 2U);
  EXPECT_EQ(peers[0]["name"], "Phone");
  EXPECT_EQ(peers[0]["paired"], false);
  EXPECT_TRUE(peers[0]["paired_at"].is_null());
  EXPECT_EQ(peers[1]["fingerprint"], kLaptop);
  EXPECT_EQ(peers[1]["paired_at"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(peers[1]["addresses"][0], "[fe80::1%eth0]:4433");
  EXPECT_EQ(peers[1]["grants"][0]["origin"], "https://drop.example");
  EXPECT_TRUE(peers[1]["grants"][0]["until"].is_null());
}

TEST_F(PeersCommandTest, ForgetByUniquePrefix) {
  const Outcome r = run("peers forget LAPx");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "forgot Laptop (" + kLaptop + "): it must pair again\n");
  auto gone = store_->peer(kLaptop);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
}

TEST_F(PeersCommandTest, AmbiguousAbsentAndShortPrefixes) {
  Outcome r = run("peers forget LAPx --json");  // options after the subcommand reach `peers`
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(store_->note_peer({kLaptop, "Laptop", "", "", 0, {}, {}}, kT0));
  r = run("peers forget LAP");
  EXPECT_EQ(r.exit_code, 2) << "shorter than 4 characters is a usage error";
  r = run("peers forget LAPx");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(store_->note_peer({kLaptop, "Laptop", "", "", 0, {}, {}}, kT0));
  r = run("peers forget LAPA");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no known peer"), std::string::npos) << r.err;
  // "LAP" + x/y: ambiguous at 3 characters, so make a 4-character one.
  const std::string other = "LAPxB" + std::string(38, 'A') + "=";
  ASSERT_TRUE(store_->note_peer({other, "Other", "", "", 0, {}, {}}, kT0));
  r = run("peers forget LAPx");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(kLaptop), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(other), std::string::npos) << r.err;
}

TEST_F(PeersCommandTest, GrantAndRevoke) {
  Outcome r = run("peers grant LAPy --origin https://app.example --minutes 30");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("granted Phone"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("not paired"), std::string::npos) << r.err;
  auto grant = store_->grant(kPhone, "https://app.example", kT0);
  ASSERT_TRUE(grant);
  ASSERT_TRUE(grant->has_value());
  ASSERT_TRUE((*grant)->until);
  EXPECT_GT(*(*grant)->until, (*grant)->granted_at);

  r = run("peers revoke LAPy --origin https://app.example");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run("peers revoke LAPy --origin https://app.example");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no grant"), std::string::npos) << r.err;

  EXPECT_EQ(run("peers grant LAPy").exit_code, 2) << "--origin is required";
  EXPECT_EQ(run("peers grant LAPy --origin o --minutes 0").exit_code, 2);
}

TEST_F(PeersCommandTest, StoreErrorExits3) {
  const auto file = dir_ / "not-a-directory";
  { std::ofstream(file) << "x"; }
  const Outcome r = run("peers", file);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("not-a-directory"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lp2p::cli
