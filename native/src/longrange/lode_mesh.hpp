#pragma once
// Method selection of the LODE expansion (lode_mesh.cpp), for its constructor.
#include "lodestone/longrange/lode_expansion.hpp"
#include "lodestone/longrange/tuning.hpp"

namespace lodestone::lode {

LodeMeshTuningRequest mesh_request(const LodeExpansionHypers& hypers, bool mesh_allowed);

}  // namespace lodestone::lode
