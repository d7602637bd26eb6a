// The file-transfer protocol's numbers (docs/transfer.md): its version, message type keys and
// the limits a receiver enforces on what a peer sends. One place, like wire/constants.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lp2p::transfer {

// The protocol version this build speaks; hello lists the versions a side accepts. Version 2
// added digest-follows files and probes (docs/transfer.md, "Version 2"); 1 is no longer spoken.
inline constexpr std::uint64_t kProtocolVersion = 2;

// The origin the `lp2p` CLI uses for its connections (grants are per origin).
inline constexpr std::string_view kFilesOrigin = "lp2p-files";

// Control messages: varint type key ‖ one CBOR map (the OSP framing, wire/stream_reader).
inline constexpr std::uint64_t kTypeHello = 1201;
inline constexpr std::uint64_t kTypeOffer = 1202;
inline constexpr std::uint64_t kTypeAnswer = 1203;
inline constexpr std::uint64_t kTypeFileResult = 1204;
inline constexpr std::uint64_t kTypeDone = 1205;
inline constexpr std::uint64_t kTypeFailure = 1206;
inline constexpr std::uint64_t kTypeListRequest = 1207;
inline constexpr std::uint64_t kTypeListing = 1208;
inline constexpr std::uint64_t kTypePullRequest = 1209;

// Limits a receiver holds a peer to; beyond them the message is refused before anything is
// written (a Failure with code "limit").
inline constexpr std::size_t kMaxControlMessage = std::size_t{64} << 20;  // a whole manifest
inline constexpr std::size_t kMaxEntries = 1'000'000;
inline constexpr std::size_t kMaxTextBytes = std::size_t{1} << 20;
inline constexpr std::uint64_t kMaxFileSize = std::uint64_t{1} << 50;  // 1 PiB
inline constexpr std::uint64_t kMinChunkSize = std::uint64_t{64} << 10;
inline constexpr std::uint64_t kMaxChunkSize = std::uint64_t{64} << 20;

// What this build sends.
inline constexpr std::uint64_t kDefaultChunkSize = std::uint64_t{4} << 20;
inline constexpr std::size_t kLanes = 4;                              // parallel data streams
inline constexpr std::size_t kReadBlock = std::size_t{1} << 20;       // sender reads and writes
inline constexpr std::size_t kLaneQueueHigh = std::size_t{16} << 20;  // receiver pauses a lane
inline constexpr std::size_t kLaneQueueLow = std::size_t{4} << 20;    // ... and resumes it

// How long closing an exchange waits for the peer to end its half of the control stream (or the
// connection): closing at once discards our last messages still in flight, so a lost packet of
// Done would show the peer a closed connection instead of a finished transfer.
inline constexpr std::chrono::seconds kCloseLinger{5};

inline constexpr std::size_t kSha256Size = 32;

}  // namespace lp2p::transfer
