#include "transfer/messages.hpp"

#include <algorithm>

#include "wire/codec_detail.hpp"
#include "wire/varint.hpp"

namespace lp2p::transfer {
namespace {

using wire::CborCursor;
using wire::CborWriter;
using wire::detail::read_map;
using wire::detail::read_text;
using wire::detail::read_uint;
using wire::detail::require;
using wire::detail::store;
using wire::detail::Where;

// ---- encoding ----

void put_bool(CborWriter& w, std::uint64_t key, bool value) {
  w.uint(key);
  w.uint(value ? 1 : 0);
}

void put_entry(CborWriter& w, const Entry& e, bool with_hashes) {
  const bool follows = with_hashes && !e.directory && e.digest_follows;
  const bool hashes = with_hashes && !e.directory && !follows;
  const bool chunks = hashes && !e.chunk_hashes.empty();
  w.map(std::size_t{5} + (hashes ? 1U : 0U) + (chunks ? 1U : 0U) + (follows ? 1U : 0U));
  w.uint(0);
  w.text(e.path);
  w.uint(1);
  w.uint(e.size);
  w.uint(2);
  w.uint(static_cast<std::uint64_t>(std::max<std::int64_t>(e.mtime_ns, 0)));
  w.uint(3);
  w.uint(e.mode & 07777U);
  put_bool(w, 4, e.directory);
  if (hashes) {
    w.uint(5);
    w.bytes(e.sha256);
  }
  if (chunks) {
    w.uint(6);
    w.bytes(e.chunk_hashes);
  }
  if (follows) put_bool(w, 7, true);
}

struct Encoder {
  CborWriter& w;

  void operator()(const Hello& m) const {
    w.map(1);
    w.uint(0);
    w.array_of(m.versions, [&](std::uint64_t v) { w.uint(v); });
  }
  void operator()(const Offer& m) const {
    w.map(m.text ? 4 : 3);
    w.uint(0);
    w.bytes(m.id);
    w.uint(1);
    w.uint(m.chunk_size);
    w.uint(2);
    w.array_of(m.entries, [&](const Entry& e) { put_entry(w, e, true); });
    if (m.text) {
      w.uint(3);
      w.text(*m.text);
    }
  }
  void operator()(const Answer& m) const {
    w.map(5);
    w.uint(0);
    w.bytes(m.id);
    put_bool(w, 1, m.accepted);
    w.uint(2);
    w.text(m.reason);
    w.uint(3);
    w.array_of(m.wanted, [&](const Wanted& x) {
      w.array(x.probe ? 3 : 2);
      w.uint(x.index);
      w.uint(x.offset);
      if (x.probe) w.bytes(*x.probe);
    });
    w.uint(4);
    w.array_of(m.have, [&](std::uint64_t i) { w.uint(i); });
  }
  void operator()(const FileResult& m) const {
    w.map(4);
    w.uint(0);
    w.uint(m.index);
    put_bool(w, 1, m.ok);
    w.uint(2);
    w.text(m.saved_as);
    w.uint(3);
    w.text(m.message);
  }
  void operator()(const Done& m) const {
    w.map(3);
    w.uint(0);
    w.bytes(m.id);
    w.uint(1);
    w.uint(m.files);
    w.uint(2);
    w.uint(m.bytes);
  }
  void operator()(const Failure& m) const {
    w.map(3);
    w.uint(0);
    w.text(m.code);
    w.uint(1);
    w.text(m.message);
    put_bool(w, 2, m.resumable);
  }
  void operator()(const ListRequest& m) const {
    w.map(2);
    w.uint(0);
    w.uint(m.request_id);
    w.uint(1);
    w.text(m.path);
  }
  void operator()(const Listing& m) const {
    w.map(3);
    w.uint(0);
    w.uint(m.request_id);
    w.uint(1);
    w.array_of(m.entries, [&](const Entry& e) { put_entry(w, e, false); });
    w.uint(2);
    w.text(m.error);
  }
  void operator()(const PullRequest& m) const {
    w.map(2);
    w.uint(0);
    w.uint(m.request_id);
    w.uint(1);
    w.array_of(m.paths, [&](const std::string& p) { w.text(p); });
  }
};

std::uint64_t type_key_of(const Control& message) {
  static constexpr std::array<std::uint64_t, std::variant_size_v<Control>> kKeys{
      kTypeHello,   kTypeOffer,       kTypeAnswer,  kTypeFileResult,  kTypeDone,
      kTypeFailure, kTypeListRequest, kTypeListing, kTypePullRequest,
  };
  return kKeys.at(message.index());
}

// ---- decoding ----

Where root(std::string_view message) {
  return Where{message, nullptr, 0, {}};
}

Result<bool> read_flag(CborCursor& c, const Where& where) {
  auto v = read_uint(c, where);
  if (!v) return std::move(v).error();
  if (*v > 1) return make_error(Errc::malformed, where.text() + ": expected 0 or 1");
  return *v == 1;
}

template <std::size_t N>
Result<std::array<std::uint8_t, N>> read_fixed(CborCursor& c, const Where& where) {
  auto bytes = wire::detail::read_bytes(c, where);
  if (!bytes) return std::move(bytes).error();
  if (bytes->size() != N) {
    return make_error(Errc::malformed, where.text() + ": expected " + std::to_string(N) +
                                           " bytes, got " + std::to_string(bytes->size()));
  }
  std::array<std::uint8_t, N> out{};
  std::ranges::copy(*bytes, out.begin());
  return out;
}

// An array of at most `limit` items: the count is untrusted, so it is checked before each
// item is stored, whatever the head announced.
template <class T, class ReadItem>
Result<std::vector<T>> read_list(CborCursor& c, const Where& where, std::size_t limit,
                                 ReadItem read_item) {
  auto head = wire::detail::read_array_head(c, where);
  if (!head) return std::move(head).error();
  if (!head->indefinite && head->size > limit) {
    return make_error(Errc::too_large, where.text() + ": " + std::to_string(head->size) +
                                           " items, at most " + std::to_string(limit));
  }
  LP2P_TRY(c.enter());
  std::vector<T> items;
  for (std::uint64_t i = 0; head->indefinite || i < head->size; ++i) {
    if (head->indefinite) {
      auto end = wire::detail::consume_break(c);
      if (!end) return std::move(end).error();
      if (*end) break;
      if (items.size() == limit) {
        return make_error(Errc::too_large,
                          where.text() + ": more than " + std::to_string(limit) + " items");
      }
    }
    auto item = read_item(c, where);
    if (!item) return std::move(item).error();
    items.push_back(std::move(*item));
  }
  c.leave();
  return items;
}

Result<std::int64_t> read_time(CborCursor& c, const Where& where) {
  auto v = read_uint(c, where);
  if (!v) return std::move(v).error();
  return static_cast<std::int64_t>(std::min<std::uint64_t>(*v, INT64_MAX));
}

Result<Entry> read_entry(CborCursor& c, const Where& outer) {
  const Where where = outer.at(0, "entry");
  Entry e;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(e.path, read_text(c, where.at(0, "path")));
      case 1:
        return store(e.size, read_uint(c, where.at(1, "size")));
      case 2:
        return store(e.mtime_ns, read_time(c, where.at(2, "mtime-ns")));
      case 3: {
        auto mode = read_uint(c, where.at(3, "mode"));
        if (!mode) return std::move(mode).error();
        e.mode = static_cast<std::uint32_t>(*mode & 07777U);
        return true;
      }
      case 4:
        return store(e.directory, read_flag(c, where.at(4, "directory")));
      case 5:
        return store(e.sha256, read_fixed<kSha256Size>(c, where.at(5, "sha256")));
      case 6: {
        auto hashes = wire::detail::read_bytes(c, where.at(6, "chunk-hashes"));
        if (!hashes) return std::move(hashes).error();
        if (hashes->size() % kSha256Size != 0) {
          return make_error(Errc::malformed,
                            where.at(6, "chunk-hashes").text() + ": not a multiple of 32 bytes");
        }
        e.chunk_hashes = std::move(*hashes);
        return true;
      }
      case 7:
        return store(e.digest_follows, read_flag(c, where.at(7, "digest-follows")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "path"}, {1, "size"}}));
  return e;
}

Result<Control> decode_hello(CborCursor& c, const Where& where) {
  Hello m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    if (key != 0) return false;
    return store(m.versions, read_list<std::uint64_t>(
                                 c, where.at(0, "versions"), 16,
                                 [](CborCursor& cc, const Where& w) { return read_uint(cc, w); }));
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "versions"}}));
  return Control{std::move(m)};
}

Result<Control> decode_offer(CborCursor& c, const Where& where) {
  Offer m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.id, read_fixed<16>(c, where.at(0, "transfer-id")));
      case 1:
        return store(m.chunk_size, read_uint(c, where.at(1, "chunk-size")));
      case 2:
        return store(m.entries,
                     read_list<Entry>(c, where.at(2, "entries"), kMaxEntries, read_entry));
      case 3: {
        auto text = read_text(c, where.at(3, "text"));
        if (!text) return std::move(text).error();
        if (text->size() > kMaxTextBytes) {
          return make_error(Errc::too_large, where.at(3, "text").text() + ": more than " +
                                                 std::to_string(kMaxTextBytes) + " bytes");
        }
        m.text = std::move(*text);
        return true;
      }
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "transfer-id"}, {2, "entries"}}));
  return Control{std::move(m)};
}

Result<Wanted> read_wanted(CborCursor& c, const Where& where) {
  auto head = wire::detail::read_array_head(c, where);
  if (!head) return std::move(head).error();
  if (head->indefinite || (head->size != 2 && head->size != 3)) {
    return make_error(Errc::malformed, where.text() + ": expected [index, offset, ? probe]");
  }
  LP2P_TRY(c.enter());
  Wanted w;
  auto index = read_uint(c, where);
  if (!index) return std::move(index).error();
  auto offset = read_uint(c, where);
  if (!offset) return std::move(offset).error();
  if (head->size == 3) {
    auto probe = read_fixed<kSha256Size>(c, where);
    if (!probe) return std::move(probe).error();
    w.probe = *probe;
  }
  c.leave();
  w.index = *index;
  w.offset = *offset;
  return w;
}

Result<Control> decode_answer(CborCursor& c, const Where& where) {
  Answer m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.id, read_fixed<16>(c, where.at(0, "transfer-id")));
      case 1:
        return store(m.accepted, read_flag(c, where.at(1, "accepted")));
      case 2:
        return store(m.reason, read_text(c, where.at(2, "reason")));
      case 3:
        return store(m.wanted,
                     read_list<Wanted>(c, where.at(3, "wanted"), kMaxEntries, read_wanted));
      case 4:
        return store(m.have, read_list<std::uint64_t>(
                                 c, where.at(4, "have"), kMaxEntries,
                                 [](CborCursor& cc, const Where& w) { return read_uint(cc, w); }));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "transfer-id"}, {1, "accepted"}}));
  return Control{std::move(m)};
}

Result<Control> decode_file_result(CborCursor& c, const Where& where) {
  FileResult m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.index, read_uint(c, where.at(0, "index")));
      case 1:
        return store(m.ok, read_flag(c, where.at(1, "ok")));
      case 2:
        return store(m.saved_as, read_text(c, where.at(2, "saved-as")));
      case 3:
        return store(m.message, read_text(c, where.at(3, "message")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "index"}, {1, "ok"}}));
  return Control{std::move(m)};
}

Result<Control> decode_done(CborCursor& c, const Where& where) {
  Done m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.id, read_fixed<16>(c, where.at(0, "transfer-id")));
      case 1:
        return store(m.files, read_uint(c, where.at(1, "files")));
      case 2:
        return store(m.bytes, read_uint(c, where.at(2, "bytes")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "transfer-id"}}));
  return Control{m};
}

Result<Control> decode_failure(CborCursor& c, const Where& where) {
  Failure m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.code, read_text(c, where.at(0, "code")));
      case 1:
        return store(m.message, read_text(c, where.at(1, "message")));
      case 2:
        return store(m.resumable, read_flag(c, where.at(2, "resumable")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "code"}}));
  return Control{std::move(m)};
}

Result<Control> decode_list_request(CborCursor& c, const Where& where) {
  ListRequest m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.request_id, read_uint(c, where.at(0, "request-id")));
      case 1:
        return store(m.path, read_text(c, where.at(1, "path")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "request-id"}}));
  return Control{std::move(m)};
}

Result<Control> decode_listing(CborCursor& c, const Where& where) {
  Listing m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.request_id, read_uint(c, where.at(0, "request-id")));
      case 1:
        return store(m.entries,
                     read_list<Entry>(c, where.at(1, "entries"), kMaxEntries, read_entry));
      case 2:
        return store(m.error, read_text(c, where.at(2, "error")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "request-id"}}));
  return Control{std::move(m)};
}

Result<Control> decode_pull_request(CborCursor& c, const Where& where) {
  PullRequest m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.request_id, read_uint(c, where.at(0, "request-id")));
      case 1:
        return store(m.paths, read_list<std::string>(
                                  c, where.at(1, "paths"), kMaxEntries,
                                  [](CborCursor& cc, const Where& w) { return read_text(cc, w); }));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "request-id"}, {1, "paths"}}));
  return Control{std::move(m)};
}

}  // namespace

void encode(const Control& message, std::vector<std::uint8_t>& out) {
  wire::append_varint(type_key_of(message), out);
  CborWriter w(out);
  std::visit(Encoder{w}, message);
}

std::vector<std::uint8_t> encode(const Control& message) {
  std::vector<std::uint8_t> out;
  encode(message, out);
  return out;
}

Result<Control> decode(std::uint64_t type_key, std::span<const std::uint8_t> body) {
  CborCursor c(body);
  Result<Control> decoded = make_error(Errc::unknown_type_key, "");
  switch (type_key) {
    case kTypeHello:
      decoded = decode_hello(c, root("hello"));
      break;
    case kTypeOffer:
      decoded = decode_offer(c, root("offer"));
      break;
    case kTypeAnswer:
      decoded = decode_answer(c, root("answer"));
      break;
    case kTypeFileResult:
      decoded = decode_file_result(c, root("file-result"));
      break;
    case kTypeDone:
      decoded = decode_done(c, root("done"));
      break;
    case kTypeFailure:
      decoded = decode_failure(c, root("failure"));
      break;
    case kTypeListRequest:
      decoded = decode_list_request(c, root("list-request"));
      break;
    case kTypeListing:
      decoded = decode_listing(c, root("listing"));
      break;
    case kTypePullRequest:
      decoded = decode_pull_request(c, root("pull-request"));
      break;
    default:
      return make_error(Errc::unknown_type_key,
                        "no file-transfer message has type key " + std::to_string(type_key));
  }
  if (decoded && !c.at_end()) {
    return make_error(Errc::malformed, std::string(name_of(*decoded)) + ": bytes after the map");
  }
  return decoded;
}

std::string_view name_of(const Control& message) {
  static constexpr std::array<std::string_view, std::variant_size_v<Control>> kNames{
      "hello",   "offer",        "answer",  "file-result",  "done",
      "failure", "list-request", "listing", "pull-request",
  };
  return kNames.at(message.index());
}

}  // namespace lp2p::transfer
