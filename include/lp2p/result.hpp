// Errors as values: every fallible lp2p call returns Result<T>.
//
// Contract: a Result holds either a value or an Error, never both. Network input never aborts the
// process; it turns into an Error whose message names what was wrong (message, field, offset) so
// that it can be logged and answered with a protocol-level code. Calling value() on an error (or
// error() on a value) is a programmer error and asserts.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace lp2p {

enum class Errc {
  invalid_argument,  // the caller passed something unusable (bad hex, bad JSON, out-of-range value)
  truncated,         // input ended inside a value that announced more bytes
  malformed,         // bytes that are not valid CBOR / varint / message structure
  wrong_type,        // a field of the wrong CBOR type
  missing_field,     // a required field is absent
  too_large,         // a message or value exceeds a configured limit
  too_deep,          // nesting beyond the configured depth limit
  unknown_type_key,  // a message type key this build does not know
  io_error,          // the operating system refused a read or write
  would_block,       // no room now (socket or stream buffer full); retry when told it is writable
  timed_out,         // the peer did not answer in time
  peer_mismatch,     // the peer is not the one expected (its fingerprint differs from the pin)
  refused,         // the peer or the local policy refused (TLS alert, wrong ALPN, not allowed yet)
  closed,          // the connection or stream is closed
  protocol_error,  // the peer broke the protocol
  not_found,       // no such peer, channel or grant (not in reach, never known, gone)
  no_space,        // the file system is full, or the user's disk quota is used up
};

constexpr std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return "invalid argument";
    case Errc::truncated:
      return "truncated";
    case Errc::malformed:
      return "malformed";
    case Errc::wrong_type:
      return "wrong type";
    case Errc::missing_field:
      return "missing field";
    case Errc::too_large:
      return "too large";
    case Errc::too_deep:
      return "too deep";
    case Errc::unknown_type_key:
      return "unknown type key";
    case Errc::io_error:
      return "I/O error";
    case Errc::would_block:
      return "would block";
    case Errc::timed_out:
      return "timed out";
    case Errc::peer_mismatch:
      return "peer mismatch";
    case Errc::refused:
      return "refused";
    case Errc::closed:
      return "closed";
    case Errc::protocol_error:
      return "protocol error";
    case Errc::not_found:
      return "not found";
    case Errc::no_space:
      return "no space left";
  }
  return "unknown error";
}

struct Error {
  Errc code;
  std::string message;

  // "malformed: data-frame: field 4 (payload): expected byte string, got text string"
  [[nodiscard]] std::string describe() const {
    return std::string(to_string(code)) + ": " + message;
  }
};

inline Error make_error(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  // NOLINTBEGIN(google-explicit-constructor): implicit so that `return value;` and
  // `return make_error(...)` both read naturally.
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}
  // NOLINTEND(google-explicit-constructor)

  [[nodiscard]] bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  [[nodiscard]] T& value() & { return assert(has_value()), std::get<0>(state_); }
  [[nodiscard]] const T& value() const& { return assert(has_value()), std::get<0>(state_); }
  [[nodiscard]] T&& value() && { return assert(has_value()), std::get<0>(std::move(state_)); }
  [[nodiscard]] T& operator*() & { return value(); }
  [[nodiscard]] const T& operator*() const& { return value(); }
  [[nodiscard]] T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const Error& error() const& { return assert(!has_value()), std::get<1>(state_); }
  [[nodiscard]] Error&& error() && { return assert(!has_value()), std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error)
      : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  [[nodiscard]] const Error& error() const& { return assert(failed_), error_; }
  [[nodiscard]] Error&& error() && { return assert(failed_), std::move(error_); }

 private:
  Error error_{};
  bool failed_ = false;
};

// Propagates an error out of the enclosing function returning Result<U>. A macro because only a
// macro can return from its caller.
// NOLINTNEXTLINE(cppcoreguidelines-macro-usage)
#define LP2P_TRY(expr)                                     \
  do {                                                     \
    if (auto lp2p_try_result_ = (expr); !lp2p_try_result_) \
      return std::move(lp2p_try_result_).error();          \
  } while (false)

}  // namespace lp2p
