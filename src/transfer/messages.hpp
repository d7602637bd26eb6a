// The file-transfer protocol's control messages (docs/transfer.md, "Control stream"), as C++
// values, and their encoding: varint type key ‖ CBOR map with small integer keys, as OSP's own
// messages. Decoding checks structure and types only; what the values mean (paths, sizes,
// counts) is checked by the side that acts on them (receive_plan, path_rules).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "lp2p/result.hpp"
#include "transfer/constants.hpp"

namespace lp2p::transfer {

using Sha256 = std::array<std::uint8_t, kSha256Size>;
using TransferId = std::array<std::uint8_t, 16>;

struct Hello {
  std::vector<std::uint64_t> versions;  // accepted versions; the answer names one
};

// One file or directory of an offer or listing.
struct Entry {
  std::string path;  // relative, '/'-separated (path_rules)
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // nanoseconds since the Unix epoch
  std::uint32_t mode = 0644;  // permission bits only
  bool directory = false;
  Sha256 sha256{};                         // of the whole content (files of offers)
  std::vector<std::uint8_t> chunk_hashes;  // SHA-256 of each chunk, concatenated; empty when
                                           // the file fits one chunk, when the sender has no
                                           // chunk digests (v2), or in listings
  // v2: the sender did not hash the file before offering it: `sha256` is absent (zeros) and the
  // digest follows the file's bytes on its lane (lane.hpp, kSha256Size trailer bytes).
  bool digest_follows = false;
};

struct Offer {
  TransferId id{};
  std::uint64_t chunk_size = kDefaultChunkSize;
  std::vector<Entry> entries;
  std::optional<std::string> text;  // a text offer carries no entries
};

struct Wanted {
  std::uint64_t index = 0;   // into Offer::entries
  std::uint64_t offset = 0;  // resume from here (a multiple of the chunk size)
  // v2: the SHA-256 of what the receiver holds of the file, for the sender to compare with its
  // own. With offset > 0 (resuming a file offered without chunk hashes): of the part's first
  // `offset` bytes; a sender whose prefix differs sends from 0 instead. With offset 0 (a
  // digest-follows file): of the same-size file already under its name; a sender whose file has
  // the same digest sends the trailer alone (lane.hpp).
  std::optional<Sha256> probe;
};

struct Answer {
  TransferId id{};
  bool accepted = false;
  std::string reason;               // why not, or empty
  std::vector<Wanted> wanted;       // files to send, in the order the receiver likes
  std::vector<std::uint64_t> have;  // files the receiver already holds with this content
};

struct FileResult {
  std::uint64_t index = 0;
  bool ok = false;
  std::string saved_as;  // the relative path it was saved under (may differ on a name clash)
  std::string message;   // why not
};

struct Done {
  TransferId id{};
  std::uint64_t files = 0;  // saved (have included)
  std::uint64_t bytes = 0;  // received in this attempt
};

// Ends the exchange (the sender of it closes the transport next). Codes: "declined",
// "cancelled", "no-space", "io", "limit", "protocol", "not-shared", "version".
struct Failure {
  std::string code;
  std::string message;
  bool resumable = false;  // partial files were kept: the same offer later resumes
};

struct ListRequest {
  std::uint64_t request_id = 0;
  std::string path;  // "" for the shared folder itself
};

struct Listing {
  std::uint64_t request_id = 0;
  std::vector<Entry> entries;  // paths relative to the shared folder
  std::string error;           // non-empty: nothing listed, and why
};

struct PullRequest {
  std::uint64_t request_id = 0;
  std::vector<std::string> paths;  // files or folders of the share; an offer answers
};

using Control = std::variant<Hello, Offer, Answer, FileResult, Done, Failure, ListRequest, Listing,
                             PullRequest>;

// The whole message (type key included), appended to `out`.
void encode(const Control& message, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> encode(const Control& message);

// One message's CBOR body with its type key (as wire::StreamReader splits them). Errors:
// unknown_type_key, malformed, wrong_type, missing_field, too_large.
Result<Control> decode(std::uint64_t type_key, std::span<const std::uint8_t> body);

// For logs: "offer", "answer", ...
std::string_view name_of(const Control& message);

}  // namespace lp2p::transfer
