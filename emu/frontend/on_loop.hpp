// SPDX-License-Identifier: GPL-2.0-only
// Runs work on the loop thread from any thread, for the front end's teardown.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <future>

namespace dmemu::emu {

// On the loop thread, or with the loop stopped for good (nothing else runs there), runs fn at
// once; from another thread posts it to the loop and waits, so the loop must be running (a loop
// never run yet would make it wait for ever).
inline void run_on_loop(boost::asio::io_context& loop, const std::function<void()>& fn) {
    if (loop.get_executor().running_in_this_thread() || loop.stopped()) {
        fn();
        return;
    }
    std::promise<void> done;
    boost::asio::post(loop, [&] {
        fn();
        done.set_value();
    });
    done.get_future().wait();
}

}  // namespace dmemu::emu
