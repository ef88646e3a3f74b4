// SPDX-License-Identifier: GPL-2.0-only
// A move-only callable that keeps a small callable inline: what a Bio's completion is.
//
// std::function allocates for any capture that is not trivially copyable (a shared_ptr, another
// std::function) and requires copyable callables, so every layer a Bio crossed cost a heap
// allocation (docs/performance.md). InlineFunction keeps a callable of up to InlineBytes bytes
// in place; a larger one (a layer's lambda holding the completion it wraps) lives in a recycled
// block (recycled_block.hpp), which a steady stream of I/O takes from and gives back to the
// thread's cache without touching the heap. Move-only callables are welcome: a completion runs
// once.
//
// Calling an empty InlineFunction is a bug (asserted); operator() is const as std::function's,
// and may run a mutable callable.
#pragma once

#include <cassert>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "emu/util/recycled_block.hpp"

namespace dmemu::emu {

template <class Signature, std::size_t InlineBytes = 40>
class InlineFunction;

template <class R, class... Args, std::size_t InlineBytes>
class InlineFunction<R(Args...), InlineBytes> {
public:
    InlineFunction() noexcept = default;
    InlineFunction(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)

    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, InlineFunction> &&
             std::is_invocable_r_v<R, std::decay_t<F>&, Args...>)
        InlineFunction(F&& f) {  // NOLINT(google-explicit-constructor): as std::function
        using Fn = std::decay_t<F>;
        if constexpr (stored_inline<Fn>) {
            ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
            ops_ = &kInlineOps<Fn>;
        } else {
            void* block = recycled_alloc(sizeof(Fn));
            try {
                ::new (block) Fn(std::forward<F>(f));
            } catch (...) {
                recycled_free(block, sizeof(Fn));
                throw;
            }
            ::new (static_cast<void*>(storage_)) void*(block);
            ops_ = &kBlockOps<Fn>;
        }
    }

    InlineFunction(InlineFunction&& o) noexcept { take(o); }
    InlineFunction& operator=(InlineFunction&& o) noexcept {
        if (this != &o) {
            reset();
            take(o);
        }
        return *this;
    }
    InlineFunction& operator=(std::nullptr_t) noexcept {
        reset();
        return *this;
    }
    InlineFunction(const InlineFunction&) = delete;
    InlineFunction& operator=(const InlineFunction&) = delete;
    ~InlineFunction() { reset(); }

    explicit operator bool() const noexcept { return ops_ != nullptr; }

    R operator()(Args... args) const {
        assert(ops_ != nullptr);
        return ops_->call(storage_, std::forward<Args>(args)...);
    }

private:
    struct Ops {
        R (*call)(void* storage, Args&&... args);
        // Move-constructs the callable into `to` and destroys it in `from`.
        void (*relocate)(void* from, void* to) noexcept;
        void (*destroy)(void* storage) noexcept;
    };

    template <class Fn>
    static constexpr bool stored_inline =
        sizeof(Fn) <= InlineBytes &&
        alignof(Fn) <= alignof(void*) && std::is_nothrow_move_constructible_v<Fn>;

    template <class Fn>
    static Fn& inline_fn(void* storage) {
        return *std::launder(static_cast<Fn*>(storage));
    }
    template <class Fn>
    static Fn*& block_fn(void* storage) {
        return *std::launder(static_cast<Fn**>(storage));
    }

    template <class Fn>
    static constexpr Ops kInlineOps{
        [](void* s, Args&&... args) -> R {
            return static_cast<R>(inline_fn<Fn>(s)(std::forward<Args>(args)...));
        },
        [](void* from, void* to) noexcept {
            ::new (to) Fn(std::move(inline_fn<Fn>(from)));
            inline_fn<Fn>(from).~Fn();
        },
        [](void* s) noexcept { inline_fn<Fn>(s).~Fn(); },
    };
    template <class Fn>
    static constexpr Ops kBlockOps{
        [](void* s, Args&&... args) -> R {
            return static_cast<R>((*block_fn<Fn>(s))(std::forward<Args>(args)...));
        },
        [](void* from, void* to) noexcept { ::new (to) Fn*(block_fn<Fn>(from)); },
        [](void* s) noexcept {
            Fn* fn = block_fn<Fn>(s);
            fn->~Fn();
            recycled_free(fn, sizeof(Fn));
        },
    };

    void take(InlineFunction& o) noexcept {
        if (o.ops_ == nullptr) return;
        o.ops_->relocate(o.storage_, storage_);
        ops_ = std::exchange(o.ops_, nullptr);
    }
    void reset() noexcept {
        if (const Ops* ops = std::exchange(ops_, nullptr)) ops->destroy(storage_);
    }

    static_assert(InlineBytes >= sizeof(void*), "a block pointer must fit");
    alignas(void*) mutable std::byte storage_[InlineBytes];
    const Ops* ops_ = nullptr;
};

}  // namespace dmemu::emu
