// The file-transfer control messages: every message survives encode → decode, and what a
// hostile peer can send (wrong types, huge counts, bad hash lengths, bytes after the map) is
// refused by the decoder with an error value.
#include "transfer/messages.hpp"

#include <gtest/gtest.h>

#include "wire/cbor_writer.hpp"
#include "wire/stream_reader.hpp"
#include "wire/varint.hpp"

namespace lp2p::transfer {
namespace {

Control round_trip(const Control& message) {
  const std::vector<std::uint8_t> bytes = encode(message);
  std::optional<Result<Control>> decoded;
  wire::StreamReader reader;
  auto fed = reader.feed(
      bytes, [&](const wire::Frame& frame) { decoded = decode(frame.type_key, frame.body); });
  EXPECT_TRUE(fed);
  EXPECT_TRUE(decoded.has_value());
  EXPECT_TRUE(*decoded) << decoded->error().message;
  return **decoded;
}

Entry file_entry(std::string path, std::uint64_t size) {
  Entry e;
  e.path = std::move(path);
  e.size = size;
  e.mtime_ns = 1'700'000'000'123'456'789;
  e.mode = 0640;
  e.sha256.fill(0xab);
  return e;
}

TEST(TransferMessages, OfferRoundTrip) {
  Offer offer;
  offer.id.fill(7);
  offer.chunk_size = 1 << 20;
  offer.entries.push_back(file_entry("photos/фото ✓.jpg", 3 << 20));
  offer.entries[0].chunk_hashes.assign(3 * 32, 0x11);
  Entry dir;
  dir.path = "photos/empty";
  dir.directory = true;
  offer.entries.push_back(dir);
  const Offer got = std::get<Offer>(round_trip(offer));
  EXPECT_EQ(got.id, offer.id);
  EXPECT_EQ(got.chunk_size, offer.chunk_size);
  ASSERT_EQ(got.entries.size(), 2U);
  EXPECT_EQ(got.entries[0].path, "photos/фото ✓.jpg");
  EXPECT_EQ(got.entries[0].size, 3U << 20);
  EXPECT_EQ(got.entries[0].mtime_ns, offer.entries[0].mtime_ns);
  EXPECT_EQ(got.entries[0].mode, 0640U);
  EXPECT_EQ(got.entries[0].sha256, offer.entries[0].sha256);
  EXPECT_EQ(got.entries[0].chunk_hashes, offer.entries[0].chunk_hashes);
  EXPECT_TRUE(got.entries[1].directory);
  EXPECT_FALSE(got.text.has_value());
}

TEST(TransferMessages, DigestFollowsEntryCarriesNoHashes) {
  Offer offer;
  offer.entries.push_back(file_entry("big.iso", 9 << 20));
  offer.entries[0].digest_follows = true;
  offer.entries[0].chunk_hashes.assign(3 * 32, 0x11);  // not sent with digest-follows
  const std::vector<std::uint8_t> bytes = encode(offer);
  const Offer got = std::get<Offer>(round_trip(offer));
  ASSERT_EQ(got.entries.size(), 1U);
  EXPECT_TRUE(got.entries[0].digest_follows);
  EXPECT_EQ(got.entries[0].sha256, Sha256{});
  EXPECT_TRUE(got.entries[0].chunk_hashes.empty());
  offer.entries[0].digest_follows = false;
  EXPECT_LT(bytes.size() + 3 * 32, encode(offer).size());  // neither digest went out
  EXPECT_FALSE(std::get<Offer>(round_trip(offer)).entries[0].digest_follows);
}

TEST(TransferMessages, EveryOtherMessageRoundTrips) {
  Offer text;
  text.text = "see you at 8";
  EXPECT_EQ(std::get<Offer>(round_trip(text)).text, "see you at 8");
  EXPECT_EQ(std::get<Hello>(round_trip(Hello{{1, 2}})).versions,
            (std::vector<std::uint64_t>{1, 2}));
  Answer answer;
  answer.accepted = true;
  Sha256 probe{};
  probe.fill(0x5c);
  answer.wanted = {{0, 0, probe}, {5, 8 << 20, std::nullopt}};
  answer.have = {1, 2};
  const Answer a = std::get<Answer>(round_trip(answer));
  EXPECT_TRUE(a.accepted);
  ASSERT_EQ(a.wanted.size(), 2U);
  EXPECT_EQ(a.wanted[0].probe, probe);
  EXPECT_EQ(a.wanted[1].index, 5U);
  EXPECT_EQ(a.wanted[1].offset, 8U << 20);
  EXPECT_FALSE(a.wanted[1].probe.has_value());
  EXPECT_EQ(a.have, (std::vector<std::uint64_t>{1, 2}));
  const FileResult r = std::get<FileResult>(round_trip(FileResult{3, true, "a (1).txt", ""}));
  EXPECT_EQ(r.saved_as, "a (1).txt");
  EXPECT_EQ(std::get<Done>(round_trip(Done{{}, 4, 99})).bytes, 99U);
  const Failure f = std::get<Failure>(round_trip(Failure{"no-space", "full", true}));
  EXPECT_EQ(f.code, "no-space");
  EXPECT_TRUE(f.resumable);
  EXPECT_EQ(std::get<ListRequest>(round_trip(ListRequest{9, "a/b"})).path, "a/b");
  Listing listing;
  listing.request_id = 9;
  listing.entries.push_back(file_entry("x", 1));
  EXPECT_EQ(std::get<Listing>(round_trip(listing)).entries.size(), 1U);
  EXPECT_EQ(std::get<PullRequest>(round_trip(PullRequest{2, {"a", "b/c"}})).paths.size(), 2U);
}

// A body written by hand, for what our encoder never produces.
std::vector<std::uint8_t> body(const std::function<void(wire::CborWriter&)>& write) {
  std::vector<std::uint8_t> out;
  wire::CborWriter w(out);
  write(w);
  return out;
}

TEST(TransferMessages, HostileOffersAreRefusedByTheDecoder) {
  // An entry count beyond the limit is refused from the array's head, before any entry.
  auto huge = body([](wire::CborWriter& w) {
    w.map(2);
    w.uint(0);
    w.bytes(std::vector<std::uint8_t>(16, 0));
    w.uint(2);
    w.array(kMaxEntries + 1);
  });
  auto decoded = decode(kTypeOffer, huge);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, Errc::too_large);

  // Chunk hashes that are not whole SHA-256 digests.
  auto bad_hashes = body([](wire::CborWriter& w) {
    w.map(2);
    w.uint(0);
    w.bytes(std::vector<std::uint8_t>(16, 0));
    w.uint(2);
    w.array(1);
    w.map(3);
    w.uint(0);
    w.text("a");
    w.uint(1);
    w.uint(5);
    w.uint(6);
    w.bytes(std::vector<std::uint8_t>(33, 0));
  });
  EXPECT_EQ(decode(kTypeOffer, bad_hashes).error().code, Errc::malformed);

  // A transfer id of the wrong length, a path of the wrong type, a missing size.
  auto short_id = body([](wire::CborWriter& w) {
    w.map(2);
    w.uint(0);
    w.bytes(std::vector<std::uint8_t>(15, 0));
    w.uint(2);
    w.array(0);
  });
  EXPECT_FALSE(decode(kTypeOffer, short_id));
  auto path_number = body([](wire::CborWriter& w) {
    w.map(2);
    w.uint(0);
    w.bytes(std::vector<std::uint8_t>(16, 0));
    w.uint(2);
    w.array(1);
    w.map(2);
    w.uint(0);
    w.uint(7);
    w.uint(1);
    w.uint(1);
  });
  EXPECT_EQ(decode(kTypeOffer, path_number).error().code, Errc::wrong_type);
  auto no_size = body([](wire::CborWriter& w) {
    w.map(2);
    w.uint(0);
    w.bytes(std::vector<std::uint8_t>(16, 0));
    w.uint(2);
    w.array(1);
    w.map(1);
    w.uint(0);
    w.text("a");
  });
  EXPECT_EQ(decode(kTypeOffer, no_size).error().code, Errc::missing_field);

  // Trailing bytes after the map, and a type key no message has.
  auto trailing = encode(Hello{{1}});
  trailing.push_back(0);
  const auto key = wire::decode_varint(trailing);
  ASSERT_TRUE(key);
  EXPECT_EQ(decode(key->value, std::span(trailing).subspan(key->length)).error().code,
            Errc::malformed);
  EXPECT_EQ(decode(1299, body([](wire::CborWriter& w) { w.map(0); })).error().code,
            Errc::unknown_type_key);
}

TEST(TransferMessages, TextOverTheLimitIsRefused) {
  auto big = body([](wire::CborWriter& w) {
    w.map(3);
    w.uint(0);
    w.bytes(std::vector<std::uint8_t>(16, 0));
    w.uint(2);
    w.array(0);
    w.uint(3);
    w.text(std::string(kMaxTextBytes + 1, 'x'));
  });
  EXPECT_EQ(decode(kTypeOffer, big).error().code, Errc::too_large);
}

}  // namespace
}  // namespace lp2p::transfer
