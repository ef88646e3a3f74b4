// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/faults/transport_faults.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "transfer/faults/transport_fault_kinds.hpp"

namespace dmemu::transfer {

namespace {

// The seq and type of the last requests the link carried: a bare ack carries only the seq of
// the request it answers, and a type filter or a trace wants the type.
class RecentRequests {
public:
    void remember(std::uint32_t seq, UlogRequestType type) {
        ring_[next_ % ring_.size()] = {seq, type};
        ++next_;
    }
    std::optional<UlogRequestType> type_of(std::uint32_t seq) const {
        const std::size_t n = std::min(next_, ring_.size());
        for (std::size_t i = 1; i <= n; ++i) {  // newest first
            const auto& [s, type] = ring_[(next_ - i) % ring_.size()];
            if (s == seq) return type;
        }
        return std::nullopt;
    }

private:
    std::array<std::pair<std::uint32_t, UlogRequestType>, 256> ring_{};
    std::size_t next_ = 0;
};

}  // namespace

struct TransportFaults::State {
    struct Installed {
        TransportFaultId id;
        const TransportFaultKind* kind;
        std::string spec;
        std::shared_ptr<TransportFault> fault;
        std::optional<emu::TimerId> expiry;
    };

    State(std::string l, emu::Clock& c, const emu::Rng& run_rng, CuttableCarrier* cut)
        : link(std::move(l)), clock(c), rng(run_rng.stream("transport/" + link)), cuttable(cut) {}

    MessageInfo describe(Direction d, std::span<const std::byte> message) const {
        MessageInfo info = describe_message(d, message);
        if (info.bare_ack && info.seq) info.type = recent.type_of(*info.seq);
        return info;
    }

    void emit(const TransportFaultEvent& e) const {
        // By index: an observer may subscribe another.
        for (std::size_t i = 0; i < observers.size(); ++i) {
            const auto fn = observers[i];
            fn(e);
        }
    }

    void rebuild() {
        chain.clear();
        for (const auto& f : faults) chain.append(f.fault);
        if (cuttable)
            cuttable->set_cut(std::any_of(faults.begin(), faults.end(),
                                          [](const Installed& f) { return f.fault->cuts(); }));
    }

    void refused(Direction d, std::span<const std::byte> message) {
        for (const auto& f : faults) {
            if (f.fault->cuts()) {
                const auto fault = f.fault;  // an observer may remove it while it reports
                fault->refused(describe(d, message));
                return;
            }
        }
    }

    bool remove(TransportFaultId id) {
        const auto it = std::find_if(faults.begin(), faults.end(),
                                     [id](const Installed& f) { return f.id == id; });
        if (it == faults.end()) return false;
        Installed gone = std::move(*it);
        faults.erase(it);
        rebuild();
        if (gone.expiry) clock.cancel(*gone.expiry);
        gone.fault->release();
        return true;
    }

    std::string link;
    emu::Clock& clock;
    emu::Rng rng;
    CuttableCarrier* cuttable;
    std::vector<Installed> faults;  // in the order added: the order they see a message
    HookChain chain;                // the same faults, as the dispatching hook runs them
    TransportFaultId next_id = 1;
    std::vector<TransportFaultObserver> observers;
    RecentRequests recent;
};

// The one hook TransportFaults puts on the link's chain.
class TransportFaults::Dispatch final : public MessageHook {
public:
    explicit Dispatch(std::weak_ptr<State> state) : state_(std::move(state)) {}

    void on_message(Direction direction, std::vector<std::byte> message, Forward forward) override {
        const auto state = state_.lock();
        if (!state) {
            forward(std::move(message));
            return;
        }
        if (direction == Direction::to_userspace) {
            // Before any fault acts: a dropped request's bare ack never comes, a duplicated
            // one is remembered once either way.
            const MessageInfo info = describe_message(direction, message);
            if (info.seq && info.type) state->recent.remember(*info.seq, *info.type);
        }
        state->chain.run(direction, std::move(message), std::move(forward));
    }

private:
    std::weak_ptr<State> state_;
};

TransportFaults::TransportFaults(std::string link, HookChain& chain, emu::Clock& clock,
                                 const emu::Rng& run_rng, CuttableCarrier* cuttable)
    : state_(std::make_shared<State>(std::move(link), clock, run_rng, cuttable)) {
    chain.append(std::make_shared<Dispatch>(state_));
    if (cuttable) {
        cuttable->set_refusal_observer(
            [weak = std::weak_ptr<State>(state_)](Direction d, std::span<const std::byte> m) {
                if (const auto state = weak.lock()) state->refused(d, m);
            });
    }
}

TransportFaults::~TransportFaults() {
    clear();
    if (state_->cuttable) state_->cuttable->set_refusal_observer(nullptr);
}

std::optional<TransportFaultId> TransportFaults::add(std::string_view spec, std::string* error) {
    State& s = *state_;
    const TransportFaultId id = s.next_id;
    const std::weak_ptr<State> weak = state_;
    auto kind_name = std::make_shared<std::string_view>();
    TransportFaultSetup setup{
        .clock = &s.clock,
        .rng = s.rng.stream(std::to_string(id)),
        .describe =
            [weak](Direction d, std::span<const std::byte> m) {
                const auto state = weak.lock();
                return state ? state->describe(d, m) : describe_message(d, m);
            },
        .report =
            [weak, id, kind_name](const MessageInfo& info, std::string what) {
                const auto state = weak.lock();
                if (!state) return;
                state->emit({state->clock.now(), state->link, id, std::string(*kind_name),
                             info.direction, info.seq, info.type, std::move(what)});
            },
    };
    ParsedTransportFault parsed = parse_transport_fault(spec, std::move(setup));
    if (!parsed.fault) {
        *error = parsed.error;
        return std::nullopt;
    }
    if (parsed.fault->cuts() && s.cuttable == nullptr) {
        *error = "fault: cut: this link has no CuttableCarrier to cut";
        return std::nullopt;
    }
    ++s.next_id;
    *kind_name = parsed.kind->name;
    std::optional<emu::TimerId> expiry;
    if (parsed.lifetime) {
        const emu::Duration lifetime = *parsed.lifetime;
        expiry = s.clock.call_after(lifetime, [weak, id, lifetime, kind_name] {
            const auto state = weak.lock();
            if (!state) return;
            const auto it = std::find_if(state->faults.begin(), state->faults.end(),
                                         [id](const State::Installed& f) { return f.id == id; });
            if (it == state->faults.end()) return;
            it->expiry.reset();  // firing now: nothing to cancel
            // No reference into `faults` across emit: an observer may add or remove faults.
            state->emit({state->clock.now(), state->link, id, std::string(*kind_name), std::nullopt,
                         std::nullopt, std::nullopt,
                         "removed after " + format_fault_duration(lifetime)});
            state->remove(id);
        });
    }
    s.faults.push_back({id, parsed.kind, std::string(spec), std::move(parsed.fault), expiry});
    s.rebuild();
    return id;
}

bool TransportFaults::remove(TransportFaultId id) { return state_->remove(id); }

void TransportFaults::clear() {
    while (!state_->faults.empty()) state_->remove(state_->faults.front().id);
}

std::vector<TransportFaults::FaultInfo> TransportFaults::list() const {
    std::vector<FaultInfo> out;
    for (const auto& f : state_->faults)
        out.push_back({f.id, std::string(f.kind->name), f.spec, f.fault->fired()});
    return out;
}

void TransportFaults::subscribe(TransportFaultObserver fn) {
    state_->observers.push_back(std::move(fn));
}

}  // namespace dmemu::transfer
