// The CDDL names of the wire constants in wire/constants.hpp: message type keys
// ("agent-info-request") and enum values ("qr-code", "psk-shown"...). This is the only place these
// names are written down; the CLI's JSON form and the codec's error messages use them.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "wire/constants.hpp"

namespace lp2p::wire {

// ---- Message type keys ----

// Every message type key of this build, in type-key order.
std::span<const TypeKey> all_type_keys();

// The CDDL name of a type key ("agent-info-request"); nullopt for keys this build does not know.
std::optional<std::string_view> type_name(std::uint64_t type_key);
std::optional<TypeKey> type_key_from_name(std::string_view name);

// ---- Named constants (enums of wire/constants.hpp) ----

template <class E>
concept NamedConstant = std::same_as<E, TypeKey> || std::same_as<E, AgentCapability> ||
    std::same_as<E, PskInputMethod> || std::same_as<E, PskStatus> ||
    std::same_as<E, AuthStatusResult> || std::same_as<E, ResultCode> || std::same_as<E, EncodingId>;

template <class E>
struct NamedValue {
  E value;
  std::string_view name;
};

// Every name accepted for a value of E, in declaration order. A value may have several names
// (EncodingId accepts the CDDL's long "encoding-id-blob" as well as "blob"); its first entry is
// the one printed. Defined in names.cpp, explicitly instantiated for each NamedConstant.
template <NamedConstant E>
std::span<const NamedValue<E>> named_values();

// The printed name of `value`; nullopt for values without a name (e.g. unknown numbers).
template <NamedConstant E>
std::optional<std::string_view> name_of(E value) {
  for (const NamedValue<E>& entry : named_values<E>()) {
    if (entry.value == value) return entry.name;
  }
  return std::nullopt;
}

// The value named `name` (any accepted name, including aliases); nullopt for unknown names.
template <NamedConstant E>
std::optional<E> enum_from_name(std::string_view name) {
  for (const NamedValue<E>& entry : named_values<E>()) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

// Every accepted name of E, in named_values() order, e.g. to list them in error messages.
template <NamedConstant E>
std::vector<std::string_view> names_of() {
  const std::span<const NamedValue<E>> table = named_values<E>();
  std::vector<std::string_view> names;
  names.reserve(table.size());
  for (const NamedValue<E>& entry : table) names.push_back(entry.name);
  return names;
}

}  // namespace lp2p::wire
