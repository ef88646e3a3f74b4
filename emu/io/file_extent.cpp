// SPDX-License-Identifier: GPL-2.0-only
#include "emu/io/block_device.hpp"

namespace dmemu::emu {

bool FileExtent::add_layer(std::shared_ptr<InFlightCounter> layer) {
    if (depth == kMaxLayers) return false;
    layers[depth++] = std::move(layer);
    return true;
}

void FileExtent::io_started() const {
    for (std::size_t i = 0; i < depth; ++i) layers[i]->io_started();
}

void FileExtent::io_ended() const {
    for (std::size_t i = 0; i < depth; ++i) layers[i]->io_ended();
}

}  // namespace dmemu::emu
