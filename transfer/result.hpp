// SPDX-License-Identifier: GPL-2.0-only
// A value or an error: the return type of every decoder under transfer/ (C++20 has no
// std::expected). Deliberately small: construct from a T or from an E, test with has_value()
// or `if (r)`, read with value() / error(). Reading the wrong side is a programming error and
// throws std::logic_error (never UB), so fuzzers that misuse it abort loudly.
#pragma once

#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace dmemu::transfer {

template <typename T, typename E>
class [[nodiscard]] Result {
    static_assert(!std::is_same_v<T, E>, "Result needs distinct value and error types");

public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design
    // Builds the value in place from args.
    template <typename... Args>
    explicit Result(std::in_place_t, Args&&... args)
        : v_(std::in_place_index<0>, std::forward<Args>(args)...) {}

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { return checked<0>(); }
    const T& value() const& { return checked<0>(); }
    T&& value() && { return std::move(checked<0>()); }
    const E& error() const { return checked<1>(); }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    template <std::size_t I>
    auto& checked() {
        require(I);
        return std::get<I>(v_);
    }
    template <std::size_t I>
    const auto& checked() const {
        require(I);
        return std::get<I>(v_);
    }
    void require(std::size_t index) const {
        if (v_.index() != index)
            throw std::logic_error(index == 0 ? "result: value() on an error"
                                              : "result: error() on a value");
    }

    std::variant<T, E> v_;
};

// For decoders that only validate.
struct Ok {
    bool operator==(const Ok&) const = default;
};

}  // namespace dmemu::transfer
