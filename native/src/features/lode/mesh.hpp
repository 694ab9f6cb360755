#pragma once
// Method selection of the LODE expansion (mesh.cpp), for its
// constructor, and the memory compute() may keep for backward().
#include "lodestone/features/lode/lode_expansion.hpp"
#include "longrange/tuning/lode_mesh.hpp"

namespace lodestone::lode {

LodeMeshTuningRequest mesh_request(const LodeExpansionHypers& hypers, bool mesh_allowed);

// Bytes of mesh caches one compute() keeps (about 1e5 centres of the
// model's hypers): beyond it backward() recomputes what it needs.
constexpr size_t kMeshCacheBytes = size_t(2) << 30;

}  // namespace lodestone::lode
